#!/usr/bin/env python3
"""renumber.py: writes renumber.json, the trained fixture with its
added_tokens ids scrambled and one content repeated, and the texts HF
encodes with it (renumber_hf.jsonl, made by generate.sh): HF ignores the ids
written for added tokens that are not in the model vocab and renumbers them
from the vocab size, so must we."""
import json

tok = json.load(open("trained/tokenizer.json"))
added = tok["added_tokens"]
added[0]["id"] = 5000
added[1]["id"] = 7
added[2]["id"] = 1021
added.append(dict(added[0], id=3, special=False))  # "<|endoftext|>" again
added.append({"id": 65, "content": "A", "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True})  # in the vocab
json.dump(tok, open("renumber.json", "w"), ensure_ascii=False)
with open("renumber_texts.jsonl", "w") as f:
    for t in ["x<|im_end|>y<|endoftext|>z<|im_start|>", "Alpha <|endoftext|>A"]:
        f.write(json.dumps({"text": t}) + "\n")
