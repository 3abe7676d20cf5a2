#!/bin/sh
# GEMM benchmark: ours (tensor.Gemm) vs OpenBLAS sgemm, same threads, one run.
# Usage: sh bench/gemm/run.sh [THREADS] [TIME] [KERNELS]   (from the repository root)
# KERNELS: comma-separated kernel sets measured in turn, e.g. avx2,avx512
# (default: the widest the CPU has, or $RESEARCH_KERNELS).
# GEMM_SCALE divides every dimension (a smoke test of the script, not a
# measurement). The last lines, "RATIO name ours/OpenBLAS", are for
# bench/peers.sh.
# libopenblas-dev pulls in the pthread OpenBLAS (libopenblas0-pthread).
set -eu
threads=${1:-2}
time=${2:-1s}
kernels=${3:-}
if ! [ -e /usr/include/x86_64-linux-gnu/cblas.h ] && ! [ -e /usr/include/cblas.h ]; then
	apt-get install -y libopenblas-dev >/dev/null
fi
OPENBLAS_NUM_THREADS=$threads GOMAXPROCS=$threads CGO_ENABLED=1 go run -C bench -tags openblas ./gemm -threads "$threads" -time "$time" -kernels "$kernels" -scale "${GEMM_SCALE:-1}"
