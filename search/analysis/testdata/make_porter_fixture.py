#!/usr/bin/python3
"""Writes porter_nltk.tsv: word<TAB>stem pairs from an independent Porter stemmer.

The reference is NLTK's PorterStemmer in MARTIN_EXTENSIONS mode (Debian
python3-nltk 3.8), which follows Martin Porter's ANSI C implementation, the
same variant as Lucene's PorterStemFilter. Snowball's "porter" algorithm
(Debian python3-snowballstemmer) is run as a second opinion; words where the
two references disagree are left out, so the fixture holds only stems both
agree on.

Words: every distinct lowercase ASCII word of 3+ letters in the FlashRAG
wiki18 sample and the HotpotQA distractor paragraphs under ../shared/data,
sampled deterministically.

Run from the repo root: /usr/bin/python3 search/analysis/testdata/make_porter_fixture.py
"""
import json, random, re
from nltk.stem.porter import PorterStemmer
import snowballstemmer

words = set()
for line in open("../shared/data/corpus/wiki18_sample_1000.jsonl"):
    words.update(re.findall(r"[a-z]{3,}", json.loads(line)["contents"].lower()))
for line in open("../shared/data/corpus/hotpotqa_dev500_distractor.jsonl"):
    for title, sents in json.loads(line)["context"]:
        words.update(re.findall(r"[a-z]{3,}", " ".join(sents).lower()))

nltk = PorterStemmer(mode=PorterStemmer.MARTIN_EXTENSIONS)
snow = snowballstemmer.stemmer("porter")
rows, disagree = [], 0
for w in sorted(words):
    a, b = nltk.stem(w), snow.stemWord(w)
    if a != b:
        disagree += 1
        continue
    rows.append((w, a))
random.seed(6)
rows = sorted(random.sample(rows, min(8000, len(rows))))
with open("search/analysis/testdata/porter_nltk.tsv", "w") as f:
    for w, s in rows:
        f.write(f"{w}\t{s}\n")
print(f"{len(words)} words, {disagree} where the references disagree, {len(rows)} written")
