#!/bin/sh
# Training step (scoring forward + backward + AdamW) of ours vs PyTorch on
# the same shapes, batch and thread count, in one run: ROUNDS alternating
# rounds, so both see the same load on a shared machine; prints each one's
# best round and the ratio of tokens/s. Usage, from the repository root:
#   sh bench/train/run.sh [THREADS] [STEPS] [ROUNDS]
# SHAPES (default "base small qwen05-slice") picks the shapes; LEN and SEQS
# override tokens per sequence and sequences per step (smoke runs only: the
# recorded figures use each shape's defaults below). After each shape a line
# "RATIO train_<shape> ours/torch" is for bench/peers.sh.
set -e
THREADS=${1:-2}
STEPS=${2:-3}
ROUNDS=${3:-3}
cd "$(dirname "$0")/../.."
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
	echo "bench/train: needs Debian's PyTorch: apt-get install python3-torch" >&2
	exit 1
fi
BIN=$(mktemp -d)/trainbench
go build -C bench -o "$BIN" ./train

tps() { sed -n 's/.*  \([0-9]*\) tokens\/s.*/\1/p'; }

# best LINE CANDIDATE prints whichever of two result lines has more tokens/s.
best() {
	if [ -z "$1" ] || [ "$(echo "$2" | tps)" -gt "$(echo "$1" | tps)" ]; then echo "$2"; else echo "$1"; fi
}

run() { # shape sequences length
	ours="" torch=""
	for _ in $(seq "$ROUNDS"); do
		ours=$(best "$ours" "$("$BIN" -shape "$1" -seqs "$2" -len "$3" -steps "$STEPS" -threads "$THREADS")")
		torch=$(best "$torch" "$(OMP_NUM_THREADS=$THREADS /usr/bin/python3 bench/train/torch_train.py "$1" "$2" "$3" "$STEPS" "$THREADS")")
	done
	echo "$ours"
	echo "$torch"
	awk -v a="$(echo "$ours" | tps)" -v b="$(echo "$torch" | tps)" -v s="$1" \
		'BEGIN { printf "%s: ours/torch tokens/s = %.2f (best of %d rounds each)\nRATIO train_%s %.4f\n\n", s, a / b, '"$ROUNDS"', s, a / b }'
}

# shape SEQS LEN: runs a shape if SHAPES names it.
shape() {
	case " ${SHAPES:-base small qwen05-slice} " in
	*" $1 "*) run "$1" "${SEQS:-$2}" "${LEN:-$3}" ;;
	esac
}

echo "threads $THREADS, $STEPS timed steps after one warm-up, $ROUNDS alternating rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
shape base 8 512
shape small 4 512
shape qwen05-slice 1 512
