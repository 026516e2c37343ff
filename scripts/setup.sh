#!/usr/bin/env bash
# One-time set-up on a fresh machine: Debian peer programs used by tests and benchmarks
# (LAMMPS, ASE), npm packages, and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v lmp >/dev/null 2>&1 || need+=(lammps)
/usr/bin/python3 -c 'import ase' >/dev/null 2>&1 || need+=(python3-ase)
[ -e /usr/include/x86_64-linux-gnu/cblas.h ] || [ -e /usr/include/openblas/cblas.h ] || [ -e /usr/include/cblas.h ] || need+=(libopenblas-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: optional peers missing (${need[*]}); install with: sudo apt-get install ${need[*]}" >&2
  fi
fi
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build
# optional native OpenBLAS backend for dense linear algebra (never fails: pure TypeScript otherwise)
node native/openblas/build.mjs
