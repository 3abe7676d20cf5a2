#!/usr/bin/python3
"""Recall@k of supporting titles with Xapian's BM25 (Debian python3-xapian).

  xapian_recall.py CORPUS.jsonl QUESTIONS.jsonl [K]

Set up as close to our analyzer as Xapian allows: the original Porter
stemmer ("porter"), the same 33 Lucene English stop words, every term
stemmed (STEM_ALL), OR queries, BM25 with k1 = 0.9, b = 0.4, k3 = 1 and no
k2 (min_normlen 0.5 is Xapian's default, kept). Differences that remain:
Xapian's tokenizer, its idf (log((N - n + 0.5) / (n + 0.5)), floored) and
its length normalisation by the longest document.
"""
import json, sys
import xapian

STOP = "a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split()

corpus_path, questions_path = sys.argv[1:3]
k = int(sys.argv[3]) if len(sys.argv) > 3 else 5

db = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
stem = xapian.Stem("porter")
stopper = xapian.SimpleStopper()
for w in STOP:
    stopper.add(w)
tg = xapian.TermGenerator()
tg.set_stemmer(stem)
tg.set_stopper(stopper)
tg.set_stemming_strategy(xapian.TermGenerator.STEM_ALL)
tg.set_stopper_strategy(xapian.TermGenerator.STOP_ALL)
titles = {}
for line in open(corpus_path):
    p = json.loads(line)
    doc = xapian.Document()
    tg.set_document(doc)
    tg.index_text(p["contents"])
    doc.set_data(p["id"])
    docid = db.add_document(doc)
    titles[docid] = p["contents"].split("\n", 1)[0].strip('"')

qp = xapian.QueryParser()
qp.set_stemmer(stem)
qp.set_stopper(stopper)
qp.set_stemming_strategy(xapian.QueryParser.STEM_ALL)
qp.set_default_op(xapian.Query.OP_OR)
enq = xapian.Enquire(db)
enq.set_weighting_scheme(xapian.BM25Weight(0.9, 0, 1, 0.4, 0.5))

total, n = 0.0, 0
for line in open(questions_path):
    q = json.loads(line)
    enq.set_query(qp.parse_query(q["question"], 0))
    got = {titles[m.docid] for m in enq.get_mset(0, k)}
    support = set(q["support"])
    total += len(got & support) / len(support)
    n += 1
print(f"xapian recall@{k} {100 * total / n:.2f} over {n} questions, {db.get_doccount()} paragraphs")
