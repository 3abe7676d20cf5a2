#!/usr/bin/env bash
# bench/eval: research eval of every method on a held-out synthetic world,
# with the random tiny model in process and through serve-model (OpenAI
# API) in the same run. Prints wall time per method for both, the ratio
# served / in-process, and checks that the predictions and generated text
# are identical. Usage: bench/eval/run.sh [QUESTIONS] [MAX_TOKENS]
set -euo pipefail
cd "$(dirname "$0")/../.."
Q=${1:-20}
T=${2:-32}
W=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$W"' EXIT
go build -o "$W/research" ./cmd/research
R="$W/research"
# A random Qwen2 of the tiny model's shape (258 ids) but 4,096 positions:
# serve-model refuses prompts past a model's positions, and the baselines'
# prompts reach a few thousand byte tokens.
MODEL="$W/model"
/usr/bin/python3 ../shared/tools/random_qwen2.py --out "$MODEL" --vocab 258 --seed 3 --no-reference >/dev/null
echo x | "$R" train-tokenizer --vocab-size 258 --special '<|endoftext|>,<|im_end|>' -o "$W/tok.json" - >/dev/null 2>&1
"$R" world --seed 11 --out "$W/world" --entities 100 --held-out 80 --train 10 --dev 10 --test "$Q" >/dev/null
"$R" index --corpus "$W/world/corpus.jsonl" --out "$W/bm25" 2>/dev/null
PORT=$(( 20000 + RANDOM % 20000 ))
"$R" serve-model --model "$MODEL" --tokenizer "$W/tok.json" --addr 127.0.0.1:$PORT --served-model-name tiny 2>"$W/server.log" &
SERVER=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
COMMON=(--data "$W/world/test.jsonl" --index "$W/bm25" --tokenizer "$W/tok.json" --max-tokens "$T" --max-prompt-tokens 4000 --workers 4)
printf '%-12s %10s %10s %8s  %s\n' method "local s" "served s" ratio predictions
for m in naive-gen naive-rag iter-retgen ircot research; do
  s0=$(date +%s.%N); "$R" eval --method $m --out "$W/local" --model "$MODEL" "${COMMON[@]}" >/dev/null 2>>"$W/eval.log" || { tail -3 "$W/eval.log"; exit 1; }; s1=$(date +%s.%N)
  "$R" eval --method $m --out "$W/served" --llm-url "http://127.0.0.1:$PORT/v1" --llm-model tiny "${COMMON[@]}" >/dev/null 2>>"$W/eval.log" || { tail -3 "$W/eval.log"; exit 1; }; s2=$(date +%s.%N)
  same=$(/usr/bin/python3 - "$W/local/$m/test.jsonl" "$W/served/$m/test.jsonl" <<'PY'
import json, sys
def load(p):
    out = {}
    for line in open(p):
        r = json.loads(line)
        text = r["trajectory"]["response"] if r.get("trajectory") else [s["output"] for s in r["steps"]]
        out[r["id"]] = (r["pred"], text)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
print("identical (%d)" % len(a) if a == b else "DIFFERENT")
PY
)
  awk -v m=$m -v a="$s0" -v b="$s1" -v c="$s2" -v s="$same" 'BEGIN { printf "%-12s %10.2f %10.2f %8.2f  %s\n", m, b-a, c-b, (c-b)/(b-a), s }'
done
