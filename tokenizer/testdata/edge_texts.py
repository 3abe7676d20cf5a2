#!/usr/bin/python3
"""Writes edge_texts.jsonl: texts that probe the pre-tokenizer's character
classes (Unicode whitespace such as U+0085, U+00A0, U+3000 and not U+FEFF;
letters of every category; numbers of every category; marks; contractions;
newline runs; added-token strings) and NFC. Deterministic (seeded)."""
import json
import random

POOL = [
    "a", "Z", "é", "e\u0301", "A\u030a", "1", "٣", "Ⅻ", "½", "²",
    " ", "  ", "\t", "\n", "\r", "\r\n", "\u000b", "\u000c", "\u0085", "\u00a0",
    "\u1680", "\u2003", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
    "\ufeff", "\u200b", "\u200d", "\u180e",
    "'", "'s", "'S", "'re", "'VE", "'ll", "'Ld", "'ſ", "'t", "'m", "'d",
    "s", "t", "re", "ll", "!", ".", ",", "...", "-", "_", "(", ")", "\"", "$",
    "😀", "🦙", "👍🏽", "我", "想", "한", "ا", "ǅ", "ʰ", "ー", "\u0301", "\u0300",
    "\x00", "\x7f", "\x1b",
    "<|im_end|>", "<|endoftext|>", "<tool_call>", "<|im_start|>",
    "hello", " world", "Hello", "HTTP", "123", "3.14", "x86_64", "don't",
]

def main():
    rnd = random.Random(3)
    texts = ["", " ", "\n", "a\u0085b", "a\ufeffb", "a \ufeffb", " \ufeff", "it's I'ſ OK"]
    for c in POOL:
        for ctx in ("x{}y", "{} x", "x {}", "{}{}", " {}\n"):
            texts.append(ctx.replace("{}", c))
    for _ in range(400):
        n = rnd.randint(1, 12)
        texts.append("".join(rnd.choice(POOL) for _ in range(n)))
    seen = set()
    with open("edge_texts.jsonl", "w") as f:
        for t in texts:
            if t not in seen:
                seen.add(t)
                f.write(json.dumps({"text": t}) + "\n")

main()
