#!/usr/bin/python3
"""corpus.py CORPUS_DIR OUT.jsonl: writes the text of every document in the
shared corpus files as {"text"} lines, grouped into chunks of about 64 KB so
that per-call overhead (node's async bridge, Go's function call) does not
dominate. Both tokenizers encode exactly these chunks."""
import json
import os
import sys

def documents(d):
    with open(os.path.join(d, "wiki18_sample_1000.jsonl")) as f:
        for line in f:
            yield json.loads(line)["contents"]
    with open(os.path.join(d, "hotpotqa_dev500_distractor.jsonl")) as f:
        for line in f:
            q = json.loads(line)
            yield q["question"]
            for title, sents in q["context"]:
                yield title + "\n" + "".join(sents)
    for p in json.load(open(os.path.join(d, "2wiki_dev_corpus.json"))):
        yield p["title"] + "\n" + p["text"]
    for q in json.load(open(os.path.join(d, "musique_train100_with_paragraphs.json"))):
        yield q["question"]
        for p in q["paragraphs"]:
            yield p["title"] + "\n" + p["paragraph_text"]

CHUNK = int(os.environ.get("CHUNK_BYTES", 64 << 10))

def main():
    src, out = sys.argv[1], sys.argv[2]
    chunk, size, n = [], 0, 0
    with open(out, "w") as f:
        for doc in documents(src):
            chunk.append(doc)
            size += len(doc.encode())
            if size >= CHUNK:
                f.write(json.dumps({"text": "\n\n".join(chunk)}, ensure_ascii=False) + "\n")
                chunk, size, n = [], 0, n + 1
        if chunk:
            f.write(json.dumps({"text": "\n\n".join(chunk)}, ensure_ascii=False) + "\n")
            n += 1
    print(f"{n} chunks", file=sys.stderr)

main()
