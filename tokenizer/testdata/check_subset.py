#!/usr/bin/env python3
"""check_subset.py: HF tokenizers (node ../../bench/tokenizer/hf_encode.mjs)
loads each subset fixture and encodes the texts it covers; every id list must
equal the reference. Prints one summary line per fixture, exits 1 on any
difference. Run from tokenizer/testdata after generate.sh's other steps."""
import json
import subprocess
import sys

SUBSETS = {
    "qwen2.5_subset.json": ["reference/qwen2.5_encodings.jsonl", "llama:ggml-vocab-qwen2.gguf",
                            "qwen2.5_edge.jsonl", "qwen2.5_chat_ids.jsonl"],
    "gpt2_subset.json": ["llama:ggml-vocab-gpt-2.gguf", "gpt2_edge.jsonl"],
}

def cases(name):
    if name.startswith("llama:"):
        base = "reference/" + name[len("llama:"):]
        texts = open(base + ".inp").read().split("\n__ggml_vocab_test__\n")[:-1]
        lines = open(base + ".out").read().rstrip("\n").split("\n")
        return [(t, [int(x) for x in l.split()]) for t, l in zip(texts, lines)]
    rows = [json.loads(l) for l in open(name)]
    return [(r["text"], r["ids"]) for r in rows]

bad = 0
for subset, names in SUBSETS.items():
    want = [c for n in names for c in cases(n)]
    inp = "".join(json.dumps({"text": t}) + "\n" for t, _ in want)
    out = subprocess.run(["node", "../../bench/tokenizer/hf_encode.mjs", subset], input=inp,
                         capture_output=True, text=True, check=True).stdout
    got = [json.loads(l)["ids"] for l in out.split("\n") if l]
    diff = sum(1 for (_, w), g in zip(want, got) if w != g) + abs(len(want) - len(got))
    bad += diff
    print(f"{subset}: HF tokenizers gives the reference ids on {len(want) - diff} of {len(want)} texts")
sys.exit(1 if bad else 0)
