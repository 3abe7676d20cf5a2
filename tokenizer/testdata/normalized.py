#!/usr/bin/env python3
"""normalized.py: writes normalized.json, the trained fixture plus added
tokens with normalized=true (HF looks for them, NFC-normalised, in the
NFC-normalised text) and one with normalized=false (looked for in the raw
text first), and normalized_texts.jsonl; generate.sh has HF encode the texts
into normalized_hf.jsonl."""
import json

tok = json.load(open("trained/tokenizer.json"))
def added(content, normalized, special=False):
    return {"id": 0, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": normalized, "special": special}
tok["added_tokens"] += [added("café", True), added("nai\u0308ve", True),
                        added("<think>", True), added("Mx", False), added("<b>", True, True)]
json.dump(tok, open("normalized.json", "w"), ensure_ascii=False)
texts = ["a café b", "a cafe\u0301 b", "naïve nai\u0308ve", "<think>\u0338 x", "<think>y",
         "Mx\u0301 Mx", "cafe\u0301<|im_end|>café", "<b>\u0338<b>", "x<think>\u0301"]
with open("normalized_texts.jsonl", "w") as f:
    for t in texts:
        f.write(json.dumps({"text": t}) + "\n")
