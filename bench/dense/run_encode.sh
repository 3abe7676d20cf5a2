#!/bin/sh
# Passages/s of the in-process BERT encoder, ours vs PyTorch, on a random
# BERT of E5-base's shape (12 x 768, vocab 30522), same passages, same
# token ids, same thread count. Usage: bench/dense/run_encode.sh [N] [THREADS]
set -e
cd "$(dirname "$0")/../.."
N=${1:-32}
T=${2:-2}
MODEL=${MODEL:-/tmp/research-bench-e5}
CORPUS=${CORPUS:-../shared/data/corpus/wiki18_sample_1000.jsonl}
if [ ! -f "$MODEL/model.safetensors" ]; then
	/usr/bin/python3 search/dense/bert/testdata/gen_bert.py e5 "$MODEL"
fi
# Our committed WordPiece vocabulary (4,077 ids < 30,522) stands in for E5's.
cp search/dense/wordpiece/testdata/tokenizer.json "$MODEL/"
IDS=$(mktemp)
GO=$(go run ./bench/dense/encode -model "$MODEL" -corpus "$CORPUS" -n "$N" -threads "$T" -ids-out "$IDS")
PT=$(/usr/bin/python3 bench/dense/encode/torch_encode.py "$MODEL" "$IDS" --threads "$T")
rm -f "$IDS"
echo "$GO"
echo "$PT"
g=$(echo "$GO" | sed 's/.*: \([0-9.]*\) passages\/s.*/\1/')
p=$(echo "$PT" | sed 's/.*: \([0-9.]*\) passages\/s.*/\1/')
echo "ratio ours/PyTorch: $(echo "scale=2; $g / $p" | bc)"
