/*
 * Optional native backend for mlpot's dense linear algebra (src/core/linalg.ts): thin Node-API
 * wrappers over OpenBLAS (Debian libopenblas-dev). Row-major Float64Arrays are passed zero-copy.
 * Lengths are re-checked here so a wrong call throws instead of reading out of bounds.
 *
 *   syrk(trans, n, k, alpha, A, lda, beta, C, ldc)            upper triangle, cblas_dsyrk
 *   gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)   cblas_dgemm
 *   potrfUpper(n, A, lda) -> info                             row-major A = U^T U (LAPACK dpotrf "L"
 *                                                             on the column-major view); info > 0:
 *                                                             1-based failing pivot
 *   setThreads(n)                                             openblas_set_num_threads
 */
#include <node_api.h>
#include <cblas.h>
#include <stdbool.h>
#include <stddef.h>

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "mlpot_openblas: N-API call failed: " #call); return NULL; } } while (0)

static bool get_f64(napi_env env, napi_value v, double **data, size_t *len, const char *name) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) { napi_throw_type_error(env, NULL, name); return false; }
  napi_typedarray_type type; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, (void **)data, &ab, &off) != napi_ok || type != napi_float64_array) {
    napi_throw_type_error(env, NULL, name); return false;
  }
  return true;
}
static bool get_i(napi_env env, napi_value v, int *out) { int32_t x; if (napi_get_value_int32(env, v, &x) != napi_ok || x < 0) { napi_throw_range_error(env, NULL, "mlpot_openblas: expected a non-negative integer"); return false; } *out = x; return true; }
static bool get_d(napi_env env, napi_value v, double *out) { if (napi_get_value_double(env, v, out) != napi_ok) { napi_throw_type_error(env, NULL, "mlpot_openblas: expected a number"); return false; } return true; }
static bool get_b(napi_env env, napi_value v, bool *out) { if (napi_get_value_bool(env, v, out) != napi_ok) { napi_throw_type_error(env, NULL, "mlpot_openblas: expected a boolean"); return false; } return true; }
static bool need(napi_env env, size_t len, size_t want, const char *msg) { if (len < want) { napi_throw_range_error(env, NULL, msg); return false; } return true; }

static napi_value syrk(napi_env env, napi_callback_info info) {
  size_t argc = 9; napi_value a[9]; CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 9) { napi_throw_error(env, NULL, "syrk: 9 arguments"); return NULL; }
  bool trans; int n, k, lda, ldc; double alpha, beta, *A, *C; size_t la, lc;
  if (!get_b(env, a[0], &trans) || !get_i(env, a[1], &n) || !get_i(env, a[2], &k) || !get_d(env, a[3], &alpha) ||
      !get_f64(env, a[4], &A, &la, "syrk: A must be a Float64Array") || !get_i(env, a[5], &lda) || !get_d(env, a[6], &beta) ||
      !get_f64(env, a[7], &C, &lc, "syrk: C must be a Float64Array") || !get_i(env, a[8], &ldc)) return NULL;
  if (n == 0) return NULL;
  if (k > 0 && !need(env, la, trans ? (size_t)(k - 1) * lda + n : (size_t)(n - 1) * lda + k, "syrk: A too short")) return NULL;
  if (!need(env, lc, (size_t)(n - 1) * ldc + n, "syrk: C too short")) return NULL;
  cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, n, k, alpha, A, lda > 0 ? lda : 1, beta, C, ldc);
  return NULL;
}

static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 13; napi_value a[13]; CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 13) { napi_throw_error(env, NULL, "gemm: 13 arguments"); return NULL; }
  bool ta, tb; int m, n, k, lda, ldb, ldc; double alpha, beta, *A, *B, *C; size_t la, lb, lc;
  if (!get_b(env, a[0], &ta) || !get_b(env, a[1], &tb) || !get_i(env, a[2], &m) || !get_i(env, a[3], &n) || !get_i(env, a[4], &k) ||
      !get_d(env, a[5], &alpha) || !get_f64(env, a[6], &A, &la, "gemm: A must be a Float64Array") || !get_i(env, a[7], &lda) ||
      !get_f64(env, a[8], &B, &lb, "gemm: B must be a Float64Array") || !get_i(env, a[9], &ldb) || !get_d(env, a[10], &beta) ||
      !get_f64(env, a[11], &C, &lc, "gemm: C must be a Float64Array") || !get_i(env, a[12], &ldc)) return NULL;
  if (m == 0 || n == 0) return NULL;
  if (k > 0 && !need(env, la, ta ? (size_t)(k - 1) * lda + m : (size_t)(m - 1) * lda + k, "gemm: A too short")) return NULL;
  if (k > 0 && !need(env, lb, tb ? (size_t)(n - 1) * ldb + k : (size_t)(k - 1) * ldb + n, "gemm: B too short")) return NULL;
  if (!need(env, lc, (size_t)(m - 1) * ldc + n, "gemm: C too short")) return NULL;
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, A, lda > 0 ? lda : 1, B, ldb > 0 ? ldb : 1, beta, C, ldc);
  return NULL;
}

static napi_value potrf_upper(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value a[3]; CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 3) { napi_throw_error(env, NULL, "potrfUpper: 3 arguments"); return NULL; }
  int n, lda, res = 0; double *A; size_t la;
  if (!get_i(env, a[0], &n) || !get_f64(env, a[1], &A, &la, "potrfUpper: A must be a Float64Array") || !get_i(env, a[2], &lda)) return NULL;
  if (n > 0) {
    if (!need(env, la, (size_t)(n - 1) * lda + n, "potrfUpper: A too short")) return NULL;
    dpotrf_("L", &n, A, &lda, &res);
  }
  napi_value out; CHECK(napi_create_int32(env, res, &out));
  return out;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value a[1]; CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int t; if (argc < 1 || !get_i(env, a[0], &t)) return NULL;
  openblas_set_num_threads(t > 0 ? t : 1);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor p[] = {
    { "syrk", NULL, syrk, NULL, NULL, NULL, napi_default, NULL },
    { "gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL },
    { "potrfUpper", NULL, potrf_upper, NULL, NULL, NULL, napi_default, NULL },
    { "setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof p / sizeof p[0], p));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
