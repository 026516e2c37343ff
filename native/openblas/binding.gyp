{
  "targets": [
    {
      "target_name": "mlpot_openblas",
      "sources": ["mlpot_openblas.c"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread"],
      "libraries": ["-lopenblas"],
      "cflags": ["-O2"]
    }
  ]
}
