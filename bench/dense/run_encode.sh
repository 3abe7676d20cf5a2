#!/bin/sh
# Passages/s of the in-process BERT encoder, ours vs PyTorch, on a random
# BERT of E5-base's shape (12 x 768, vocab 30522), same passages, same
# token ids, same thread count. Usage: bench/dense/run_encode.sh [N] [THREADS]
# SHAPE=mini (gen_bert.py's small shape, a smoke test of the script) and
# MAX_LEN (tokens per passage, 512) shrink the run. The last line,
# "RATIO encode ours/PyTorch", is for bench/peers.sh.
set -e
cd "$(dirname "$0")/../.."
N=${1:-32}
T=${2:-2}
SHAPE=${SHAPE:-e5}
MAX_LEN=${MAX_LEN:-512}
MODEL=${MODEL:-/tmp/research-bench-$SHAPE}
CORPUS=${CORPUS:-../shared/data/corpus/wiki18_sample_1000.jsonl}
if [ ! -f "$MODEL/model.safetensors" ]; then
	/usr/bin/python3 search/dense/bert/testdata/gen_bert.py "$SHAPE" "$MODEL"
fi
# Our committed WordPiece vocabulary (4,077 ids < 30,522) stands in for E5's.
cp search/dense/wordpiece/testdata/tokenizer.json "$MODEL/"
IDS=$(mktemp)
GO=$(go run -C bench ./dense/encode -model "$MODEL" -corpus "$(realpath "$CORPUS")" -n "$N" -threads "$T" -max-len "$MAX_LEN" -ids-out "$IDS")
PT=$(/usr/bin/python3 bench/dense/encode/torch_encode.py "$MODEL" "$IDS" --threads "$T")
rm -f "$IDS"
echo "$GO"
echo "$PT"
g=$(echo "$GO" | sed 's/.*: \([0-9.]*\) passages\/s.*/\1/')
p=$(echo "$PT" | sed 's/.*: \([0-9.]*\) passages\/s.*/\1/')
echo "ratio ours/PyTorch: $(echo "scale=2; $g / $p" | bc)"
awk -v g="$g" -v p="$p" 'BEGIN { printf "RATIO encode %.4f\n", g / p }'
