#!/bin/sh
# Regenerates the reference fixtures in this folder with HuggingFace
# tokenizers (npm tokenizers@0.23.2, Rust core), the reference we are checked
# against. Needs node/npm and ../shared. Run from tokenizer/testdata.
set -eu
SHARED=../../../shared
BENCH=../../bench/tokenizer
(cd "$BENCH" && npm install --no-audit --no-fund >/dev/null)

# 1. Pre-tokenizer edge cases, encoded by HF with Qwen2.5 and GPT-2.
/usr/bin/python3 edge_texts.py
node "$BENCH/hf_encode.mjs" "$SHARED/tokenizers/qwen2.5/tokenizer.json" < edge_texts.jsonl > qwen2.5_edge.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node "$BENCH/gpt2_json.mjs" "$SHARED/tokenizers/gpt2/encoder.json" "$SHARED/tokenizers/gpt2/vocab.bpe" "$tmp/gpt2.json"
node "$BENCH/hf_encode.mjs" "$tmp/gpt2.json" < edge_texts.jsonl > gpt2_edge.jsonl
# GPT-2 with ByteLevel add_prefix_space: a space before each segment
# between added tokens.
python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); d["pre_tokenizer"]["add_prefix_space"] = True
json.dump(d, open(sys.argv[2], "w"))' "$tmp/gpt2.json" "$tmp/gpt2_aps.json"
{ head -300 edge_texts.jsonl; echo '{"text":"Hello<|endoftext|>world <|endoftext|> x"}'; } |
	node "$BENCH/hf_encode.mjs" "$tmp/gpt2_aps.json" > gpt2_prefix_space.jsonl

# 2. The Qwen2.5 chat template rendered by Jinja2, and HF's ids for it.
python3 chat_cases.py "$SHARED/reference/template_instruct_system.txt"
python3 -c 'import json,sys
for l in sys.stdin: print(json.dumps({"text": json.loads(l)["text"]}))' < chat_cases.jsonl |
	node "$BENCH/hf_encode.mjs" "$SHARED/tokenizers/qwen2.5/tokenizer.json" > qwen2.5_chat_ids.jsonl

# 3. Trainer round trip: train on wiki18 passages 1-800 with our trainer,
# then let HF load the result and encode held-out passages 801-860 plus the
# edge cases.
(cd .. && go test -run TestTrainReproducesFixture -update .)
/usr/bin/python3 - "$SHARED/data/corpus/wiki18_sample_1000.jsonl" > "$tmp/heldout.jsonl" <<'PY'
import json, sys
rows = [json.loads(l)["contents"] for l in open(sys.argv[1])]
for text in rows[800:860]:
    print(json.dumps({"text": text}))
for text in ["<|im_start|>user\nWho?<|im_end|>\n", "x<|endoftext|>y<|im_end|>"]:
    print(json.dumps({"text": text}))
PY
cat edge_texts.jsonl >> "$tmp/heldout.jsonl"
node "$BENCH/hf_encode.mjs" trained/tokenizer.json < "$tmp/heldout.jsonl" > trained/heldout_hf.jsonl
# 4. HF's renumbering of added tokens whose file ids are wrong.
python3 renumber.py
node "$BENCH/hf_encode.mjs" renumber.json < renumber_texts.jsonl > renumber_hf.jsonl
rm renumber_texts.jsonl

# 5. Added tokens matched in normalised text (normalized=true).
python3 normalized.py
node "$BENCH/hf_encode.mjs" normalized.json < normalized_texts.jsonl > normalized_hf.jsonl
rm normalized_texts.jsonl

# 6. Subset fixtures of the full tokenizers, checked with HF.
(cd .. && go test -run TestSubsetFixtures -update .)
python3 check_subset.py
echo "fixtures written"
