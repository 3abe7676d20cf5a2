#!/bin/sh
# Rollout throughput, continuous batching vs synchronous rounds, one run.
# Needs Debian's python3-numpy for the random model. Run from the repo root;
# SHAPE overrides the model's shape, other arguments go to the Go program.
#   sh bench/rollout/run.sh                     # 56M-parameter model, 2 questions × 4
#   SHAPE="--hidden 128 --layers 2 --heads 4 --kv-heads 2 --ffn 352" sh bench/rollout/run.sh --questions 8
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
SHAPE=${SHAPE:-"--hidden 768 --layers 8 --heads 12 --kv-heads 4 --ffn 2048"}
/usr/bin/python3 ../shared/tools/random_qwen2.py --out "$dir/model" --seed 1 $SHAPE --vocab 260 --no-reference > /dev/null
go run -C bench ./rollout --model "$dir/model" "$@"
