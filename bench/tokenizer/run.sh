#!/bin/sh
# Single-thread encode throughput, ours vs HuggingFace tokenizers (npm,
# Rust core), on the shared corpus files, in the same run. Usage, from the
# repository root:
#
#   bench/tokenizer/run.sh [TOKENIZER] [ROUNDS] [SECONDS]
#
# TOKENIZER defaults to ../shared/tokenizers/qwen2.5/tokenizer.json. Each
# round runs Go then HF for SECONDS each on the same ~64 KB chunks of
# ../shared/data/corpus/*; rounds alternate so that load from other work on
# the machine hits both sides alike. Both print a checksum of all ids: they
# must agree, or the comparison is void.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOK=${1:-$ROOT/../shared/tokenizers/qwen2.5/tokenizer.json}
ROUNDS=${2:-3}
SECS=${3:-5}
DIR=$ROOT/bench/tokenizer
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

(cd "$DIR" && [ -d node_modules/tokenizers ] || npm install --no-audit --no-fund >/dev/null)
/usr/bin/python3 "$DIR/corpus.py" "$ROOT/../shared/data/corpus" "$TMP/chunks.jsonl"
(cd "$ROOT" && CGO_ENABLED=0 go build -C bench -o "$TMP/bench" ./tokenizer)

export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
for r in $(seq "$ROUNDS"); do
	"$TMP/bench" -tokenizer "$TOK" -input "$TMP/chunks.jsonl" -time "${SECS}s" | tee "$TMP/go.$r"
	node "$DIR/hf_bench.mjs" "$TOK" "$TMP/chunks.jsonl" "$SECS" | tee "$TMP/hf.$r"
	go_sum=$(sed 's/.*checksum=//' "$TMP/go.$r")
	hf_sum=$(sed 's/.*checksum=//' "$TMP/hf.$r")
	if [ "$go_sum" != "$hf_sum" ]; then
		echo "round $r: id checksums differ ($go_sum vs $hf_sum): outputs are not identical" >&2
		exit 1
	fi
	awk -v r="$r" 'NR==FNR {g=$2; next} {printf "round %d: ours/HF = %.2fx\n", r, g/$2}' "$TMP/go.$r" "$TMP/hf.$r"
done | tee "$TMP/log"
grep '^round' "$TMP/log" | sed 's/.*= //; s/x$//' | sort -n | awk '{a[NR]=$1} END {printf "median ours/HF over %d rounds: %.2fx (single thread, identical ids)\n", NR, a[int((NR+1)/2)]}'
