#!/usr/bin/env python3
"""Writes python_semantics_cases.jsonl: predictions whose normalisation
depends on Python 3's Unicode semantics (str.lower, re's \\b, str.split),
scored by SQuAD's normalize_answer and FlashRAG's EM / acc / F1 rules as
published, run with CPython. Usage: python3 gen_python_semantics.py > python_semantics_cases.jsonl
"""
import json
import re
import string
import sys
from collections import Counter


def normalize_answer(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1(pred, golds):
    best = 0
    for g in golds:
        p, t = normalize_answer(pred), normalize_answer(g)
        if (p in ("yes", "no", "noanswer") or t in ("yes", "no", "noanswer")) and p != t:
            continue
        common = Counter(p.split()) & Counter(t.split())
        same = sum(common.values())
        if same == 0:
            continue
        prec, rec = same / len(p.split()), same / len(t.split())
        best = max(best, 2 * prec * rec / (prec + rec))
    return best


CASES = [
    ("İstanbul", ["i̇stanbul"]),
    ("ΟΔΟΣ ΣΟΦΟΣ", ["οδος σοφος"]),
    ("ΣΑ Σ aΣ. aΣ'b", ["σα"]),
    ("thé a cat", ["the cat"]),
    ("the\u0301 cat", ["cat"]),
    ("a\x1cb\x1dc\x1ed\x1fe", ["b c d e"]),
    ("\u00a0the\u00a0Nile\u2003", ["nile"]),
    ("an_apple the٣ the", ["an_apple"]),
    ("x the\u200by", ["x y"]),
    ("naïve a\u0085b", ["naive b"]),
    ("Straße ǅemal", ["strasse"]),
    ("The \"Beatles\"", ["beatles"]),
    ("yes.", ["Yes"]),
    ("no answer", ["noanswer"]),
    ("Ⅷ the Ⅷ", ["ⅷ"]),
    ("\ufeffthe cat", ["cat"]),
]

for pred, golds in CASES:
    norm = normalize_answer(pred)
    gnorm = [normalize_answer(g) for g in golds]
    rec = {
        "prediction": pred,
        "golden_answers": golds,
        "normalized_prediction": norm,
        "em": float(norm in gnorm),
        "acc": float(any(g in norm for g in gnorm)),
        "f1": f1(pred, golds),
    }
    sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
