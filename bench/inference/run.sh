#!/bin/sh
# Inference benchmark: ours vs llama.cpp on the same random-weight model of
# Qwen2.5-0.5B's exact shape (24 layers, hidden 896, 14/2 heads, FFN 4864,
# vocab 151,936, tied), f32 weights, in one run. Prints both and the ratios.
# Usage (from the repository root): sh bench/inference/run.sh [THREADS]
# MODEL_DIR (default /tmp/qwen05-random, ~4 GB with the GGUF) is generated on
# first use by ../shared/tools/random_qwen2.py; LLAMACPP (default
# /tmp/llamacpp) is a writable copy of ../shared/tools/llamacpp, installed
# with npm on first use. llama.cpp runs with its defaults (F16 KV cache),
# batch 128, as its users run it, through llama_speed.mjs.
# Sizes for quick or smoke runs (defaults are the recorded figures'): PROMPT
# (512), DECODE (32), BATCH (16), BATCH_PROMPT (64); MODEL_ARGS replaces the
# model's shape arguments to random_qwen2.py (use a MODEL_DIR of its own).
# The last lines, "RATIO name ours/llama.cpp", are for bench/peers.sh.
set -eu
threads=${1:-2}
dir=${MODEL_DIR:-/tmp/qwen05-random}
llamacpp=${LLAMACPP:-/tmp/llamacpp}
shared=${SHARED:-../shared}
prompt=${PROMPT:-512}
decode=${DECODE:-32}
batch=${BATCH:-16}
batch_prompt=${BATCH_PROMPT:-64}
model_args=${MODEL_ARGS:---hidden 896 --layers 24 --heads 14 --kv-heads 2 --ffn 4864 --vocab 151936 --tied}
if [ ! -f "$dir/model.safetensors" ] || [ ! -f "$dir/model.gguf" ]; then
	# shellcheck disable=SC2086 # model_args is a list of arguments
	/usr/bin/python3 "$shared/tools/random_qwen2.py" --out "$dir" $model_args --no-reference --seed 0
fi
if [ ! -d "$llamacpp/node_modules" ]; then
	mkdir -p "$llamacpp" && cp "$shared"/tools/llamacpp/* "$llamacpp"/
	(cd "$llamacpp" && npm install --no-audit --no-fund --omit=optional >/dev/null)
fi
go build -C bench -o /tmp/bench-inference ./inference
# Both read their weights through the page cache: load both files into it
# first so neither side pays for the disk.
cat "$dir/model.safetensors" "$dir/model.gguf" > /dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (the machine may be shared)"
ours=$(GOMAXPROCS=$threads /tmp/bench-inference -model "$dir" -threads "$threads" -prompt "$prompt" -decode "$decode" -batch "$batch" -batch-prompt "$batch_prompt")
cp bench/inference/llama_speed.mjs "$llamacpp/"
llama=$(cd "$llamacpp" && T=$threads node llama_speed.mjs "$dir/model.gguf" "$prompt" "$decode")
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ours:      $ours"
echo "llama.cpp: $llama"
/usr/bin/python3 - "$ours" "$llama" "$prompt" <<'PY'
import json, sys
o, l = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"prefill {sys.argv[3]}:             ours {o['prefill_tokens_per_s']:7.1f} tok/s  llama.cpp {l['prefill_tokens_per_s']:7.1f}  ratio {o['prefill_tokens_per_s']/l['prefill_tokens_per_s']:.2f} (goal ≥ 0.7)")
print(f"decode batch 1, no LM head: ours {o['decode_no_logits_tokens_per_s']:5.1f} tok/s  llama.cpp {l['decode_no_logits_tokens_per_s']:7.1f}  ratio {o['decode_no_logits_tokens_per_s']/l['decode_no_logits_tokens_per_s']:.2f} (speed.mjs's measure; not a decode figure for ours: one token without logits takes the prefill kernel, so that a prefill's bits do not depend on its chunking)")
print(f"decode batch 1, generating: ours {o['decode_tokens_per_s']:5.1f} tok/s  llama.cpp {l['decode_tokens_per_s']:7.1f}  ratio {o['decode_tokens_per_s']/l['decode_tokens_per_s']:.2f} (logits every step; node-llama-cpp samples in JS)")
print(f"decode batch {o['batch']}:         ours {o['batch_decode_tokens_per_s']:7.1f} tok/s aggregate = {o['batch_over_single']:.1f}× our batch 1 (goal ≥ 4)")
print(f"peak RSS {o['peak_rss_bytes']/2**30:.2f} GiB = {o['peak_rss_over_weights_plus_kv']:.2f} × (weights {o['weights_bytes']/2**30:.2f} GiB + KV {o['kv_cache_bytes']/2**20:.0f} MiB) (goal ≤ 1.2)")
print(f"RATIO prefill {o['prefill_tokens_per_s']/l['prefill_tokens_per_s']:.4f}")
print(f"RATIO decode {o['decode_tokens_per_s']/l['decode_tokens_per_s']:.4f}")
PY
