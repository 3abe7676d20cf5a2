#!/usr/bin/python3
"""Pools the paragraphs of the HotpotQA distractor dev sample into a FlashRAG
corpus and writes the questions with their supporting titles.

  hotpot_pool.py IN.jsonl CORPUS.jsonl QUESTIONS.jsonl

Each [title, sentences] paragraph becomes {"id", "contents": "\"title\"\ntext"},
text being the sentences joined as HotpotQA splits them; a title seen twice
is kept once. Questions: {"question", "support": [titles]}.
"""
import json, sys

src, corpus_path, questions_path = sys.argv[1:4]
seen = {}
with open(src) as f, open(questions_path, "w") as q:
    for line in f:
        ex = json.loads(line)
        for title, sents in ex["context"]:
            seen.setdefault(title, "".join(sents).strip())
        support = sorted({t for t, _ in ex["supporting_facts"]})
        q.write(json.dumps({"question": ex["question"], "support": support}) + "\n")
with open(corpus_path, "w") as c:
    for i, (title, text) in enumerate(seen.items()):
        c.write(json.dumps({"id": str(i), "contents": f'"{title}"\n{text}'}) + "\n")
print(f"{len(seen)} paragraphs pooled", file=sys.stderr)
