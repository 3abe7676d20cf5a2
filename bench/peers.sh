#!/bin/sh
# Ours vs each peer, side by side in one run, with each peer set up at its
# best: GEMM vs OpenBLAS (bench/gemm), Qwen2.5-0.5B-shape prefill and batch-1
# decode vs llama.cpp (bench/inference), a train step vs PyTorch at the small
# and base shapes (bench/train), BERT encoding vs PyTorch (bench/dense). It
# installs what the peers need, prints which BLAS and kernel set each side
# uses, runs the existing scripts and ends with one line of JSON of ratios
# ours/peer (null where a peer could not run; the reason is printed above).
#
# Usage, from the repository root (apt-get needs root):
#   sh bench/peers.sh            quick: short runs, a few minutes once the
#                                models exist (first run: ~4 GB of random
#                                Qwen2.5-0.5B weights are generated)
#   sh bench/peers.sh --full     the figures to record in bench/RESULTS.md
#   PEERS_SMOKE=1 sh bench/peers.sh
#                                tiny sizes, one iteration: checks the
#                                script end to end, measures nothing
# Optional: a thread count as argument (default 2); PEERS_NO_INSTALL=1 skips
# apt-get and npm; SHARED (default ../shared) holds tools/random_qwen2.py.
# PEERS_ISA=avx2 measures an AVX2 machine on an AVX-512 one: every side is
# held to AVX2 — our RESEARCH_KERNELS=avx2, OpenBLAS's Haswell core,
# oneDNN's and ATen's AVX2 code, llama.cpp's Haswell CPU backend (a copy of
# the install holding only that one) — on this machine's caches and memory.
set -u
cd "$(dirname "$0")/.."
mode=quick
threads=2
for arg in "$@"; do
	case $arg in
	--full) mode=full ;;
	--smoke) mode=smoke ;;
	-h | --help)
		sed -n '2,20p' "$0"
		exit 0
		;;
	*) threads=$arg ;;
	esac
done
[ "${PEERS_SMOKE:-0}" = 1 ] && mode=smoke
shared=${SHARED:-../shared}
llamacpp=${LLAMACPP:-/tmp/llamacpp}
log=$(mktemp -d /tmp/peers.XXXXXX)
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads GOMAXPROCS=$threads

echo "bench/peers.sh: mode $mode, $threads threads, logs in $log"
if [ -n "${OPENBLAS_CORETYPE:-}${OPENBLAS_L2_SIZE:-}" ]; then
	# A machine-wide setting (this project's sandboxes set Haswell) would
	# hold OpenBLAS, and PyTorch through it, below the CPU: let it choose.
	echo "unsetting OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-} from the environment: OpenBLAS picks its own core"
	unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
fi
if [ "${PEERS_ISA:-}" = avx2 ]; then
	isa_env="RESEARCH_KERNELS=avx2 OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 DNNL_MAX_CPU_ISA=AVX2"
	# shellcheck disable=SC2086 # a list of assignments
	export $isa_env
	echo "PEERS_ISA=avx2: $isa_env"
elif [ -n "${PEERS_ISA:-}" ]; then
	echo "PEERS_ISA=$PEERS_ISA: only avx2 is known" >&2
	exit 2
fi

# --- Install -------------------------------------------------------------
# libopenblas0-pthread: numpy and Debian's torch call BLAS through the
# libblas.so.3 / liblapack.so.3 alternatives, which fall back to the
# reference BLAS (an order of magnitude slower) without it.
# libopenblas-dev, gcc: cblas.h and cgo for bench/gemm. bc: run_encode.sh.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
if [ "${PEERS_NO_INSTALL:-0}" != 1 ]; then
	missing=""
	for p in libopenblas0-pthread libopenblas-dev python3-numpy python3-torch gcc bc; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "installing:$missing"
		# shellcheck disable=SC2086 # a list of packages
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } \
			>"$log/apt.log" 2>&1 || echo "apt-get failed (see $log/apt.log); peers that need$missing may not run"
	fi
	for lib in libblas.so.3 liblapack.so.3; do
		if [ -e "/usr/lib/$arch/openblas-pthread/$lib" ]; then
			update-alternatives --set "$lib-$arch" "/usr/lib/$arch/openblas-pthread/$lib" >/dev/null 2>&1 ||
				echo "could not select OpenBLAS for $lib (update-alternatives --set failed)"
		fi
	done
	if [ ! -d "$llamacpp/node_modules/node-llama-cpp" ]; then
		echo "installing node-llama-cpp@3.21.1 in $llamacpp"
		mkdir -p "$llamacpp"
		cat >"$llamacpp/package.json" <<-'EOF'
			{
			  "name": "llamacpp-reference",
			  "private": true,
			  "type": "module",
			  "dependencies": {
			    "node-llama-cpp": "3.21.1",
			    "@node-llama-cpp/linux-x64": "3.21.1"
			  }
			}
		EOF
		(cd "$llamacpp" && npm install --no-audit --no-fund --omit=optional) >"$log/npm.log" 2>&1 ||
			echo "npm install failed (see $log/npm.log)"
	fi
fi

# The AVX2 llama.cpp: a copy whose only CPU backend is the Haswell one, so
# that ggml's loader cannot pick a wider one.
if [ "${PEERS_ISA:-}" = avx2 ] && [ -d "$llamacpp/node_modules/node-llama-cpp" ]; then
	rm -rf "$llamacpp-avx2"
	cp -r "$llamacpp" "$llamacpp-avx2"
	for f in "$llamacpp-avx2"/node_modules/@node-llama-cpp/linux-x64/bins/*/libggml-cpu-*.so; do
		[ "${f##*/}" = libggml-cpu-haswell.so ] || rm -f "$f"
	done
	llamacpp=$llamacpp-avx2
fi

# --- Which BLAS and kernels each side uses --------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "== CPU: $cpu ($(nproc) cores seen), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for lib in libblas.so.3 liblapack.so.3; do
	echo "$lib -> $(readlink -f "/usr/lib/$arch/$lib" 2>/dev/null || echo missing)"
done
kernels=$(go run -C bench ./kernels 2>&1)
echo "ours: tensor.Kernels() = ${kernels%% *} (this CPU has: ${kernels#* })"
kernels=${kernels%% *}
# numpy's and torch's configs name the BLAS they were built against (Debian:
# "blas", "generic"); which one runs is the libblas.so.3 alternative, so the
# libraries mapped after a matmul are printed too.
/usr/bin/python3 - <<-'PY' 2>&1 || echo "python3 with numpy and torch is not available: the PyTorch peers will not run"
	import numpy, torch
	print("numpy", numpy.__version__, "show_config:")
	numpy.show_config()
	print("torch", torch.__version__, "__config__.show():")
	print(torch.__config__.show())
	x = torch.randn(256, 256)
	(x @ x).sum()
	numpy.linalg.svd(numpy.random.rand(64, 64))
	libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l or "lapack" in l})
	print("BLAS/LAPACK libraries mapped after a torch matmul and a numpy SVD:")
	for l in libs:
	    print("  ", l)
PY
if [ -d "$llamacpp/node_modules/node-llama-cpp" ]; then
	v=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$llamacpp/node_modules/node-llama-cpp/package.json")
	echo "llama.cpp: node-llama-cpp $v, its prebuilt CPU binary (gpu: false), F32 weights, F16 KV cache"
	(cd "$llamacpp" && node -e "import('node-llama-cpp').then(async m => console.log('llama.cpp system info:', (await m.getLlama({ gpu: false, build: 'never', logLevel: 'error' })).systemInfo))") 2>&1 | tail -1
fi

# --- Runs ------------------------------------------------------------------
case $mode in
smoke)
	gemm_time=1ms gemm_scale=16
	inf_env="MODEL_DIR=/tmp/peers-smoke-qwen1k PROMPT=16 DECODE=2 BATCH=2 BATCH_PROMPT=8"
	inf_shape="--hidden 64 --layers 2 --heads 4 --kv-heads 2 --ffn 128 --vocab 1024"
	train_args="1 1" train_env="SEQS=1 LEN=16"
	enc_n=2 enc_env="SHAPE=mini MAX_LEN=32"
	;;
quick)
	gemm_time=300ms gemm_scale=1
	inf_env="PROMPT=512 DECODE=16 BATCH=4 BATCH_PROMPT=32"
	inf_shape=""
	train_args="2 1" train_env=""
	enc_n=8 enc_env=""
	;;
full)
	gemm_time=2s gemm_scale=1
	inf_env=""
	inf_shape=""
	train_args="3 3" train_env=""
	enc_n=32 enc_env=""
	;;
esac

# part NAME COMMAND…: runs one script, showing its output and keeping it
# (with its exit status) for the ratios.
part() {
	name=$1
	shift
	echo
	echo "== $name: $*"
	{
		"$@" 2>&1
		echo "EXIT $?"
	} | tee "$log/$name.out"
}

part gemm env GEMM_SCALE=$gemm_scale sh bench/gemm/run.sh "$threads" "$gemm_time"
if [ -f "$shared/tools/random_qwen2.py" ]; then
	# shellcheck disable=SC2086 # inf_env is a list of assignments
	if [ -n "$inf_shape" ]; then
		part inference env $inf_env SHARED="$shared" LLAMACPP="$llamacpp" MODEL_ARGS="$inf_shape" sh bench/inference/run.sh "$threads"
	else
		part inference env $inf_env SHARED="$shared" LLAMACPP="$llamacpp" sh bench/inference/run.sh "$threads"
	fi
else
	echo "EXIT 1 needs $shared/tools/random_qwen2.py to generate the model (set SHARED)" >"$log/inference.out"
fi
# shellcheck disable=SC2086
part train env $train_env SHAPES="small base" sh bench/train/run.sh "$threads" $train_args
# shellcheck disable=SC2086
part encode env $enc_env sh bench/dense/run_encode.sh "$enc_n" "$threads"

# --- The line of JSON --------------------------------------------------------
# ratio NAME: the value of the last "RATIO NAME value" line, or null.
ratio() {
	v=$(awk -v n="$1" '$1 == "RATIO" && $2 == n { v = $3 } END { print v }' "$log"/*.out 2>/dev/null)
	echo "${v:-null}"
}
# why PART: the exit status and last line of output of a part that gave no
# ratio.
why() {
	f="$log/$1.out"
	[ -f "$f" ] || {
		echo "not run"
		return
	}
	echo "$(grep '^EXIT' "$f" | tail -1); last output: $(grep -v '^EXIT\|^RATIO' "$f" | grep . | tail -1)"
}

echo
json="{\"cpu\": \"$(echo "$cpu" | sed 's/["\\]/\\&/g')\", \"kernels\": \"$kernels\""
for field in gemm:gemm_1024 gemm:gemm_model_shapes_min inference:prefill inference:decode \
	train:train_small train:train_base encode:encode; do
	p=${field%%:*} k=${field#*:}
	v=$(ratio "$k")
	[ "$v" = null ] && echo "$k: null ($p: $(why "$p"))"
	json="$json, \"$k\": $v"
done
[ "$mode" = smoke ] && echo "(smoke mode: tiny sizes, the ratios mean nothing)"
echo "$json}"
