#!/usr/bin/python3
"""Xapian side of bm25bench: CORPUS.jsonl INDEX_DIR QUERIES -> one JSON line.

Same set-up as xapian_recall.py (Porter stemmer, Lucene stop words, BM25
k1 = 0.9, b = 0.4), on-disk glass database, contents stored as document data.
Python's Xapian binding runs one query at a time, so the 256-query batch is
sequential (single core).
"""
import json, os, shutil, sys, time
import xapian

STOP = "a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split()
corpus, path, queries_path = sys.argv[1:4]
queries = [l.rstrip("\n") for l in open(queries_path)]
stem = xapian.Stem("porter")
stopper = xapian.SimpleStopper()
for w in STOP:
    stopper.add(w)

t0 = time.time()
db = xapian.WritableDatabase(path, xapian.DB_CREATE_OR_OVERWRITE)
tg = xapian.TermGenerator()
tg.set_stemmer(stem)
tg.set_stopper(stopper)
tg.set_stemming_strategy(xapian.TermGenerator.STEM_ALL)
tg.set_stopper_strategy(xapian.TermGenerator.STOP_ALL)
for line in open(corpus):
    p = json.loads(line)
    doc = xapian.Document()
    tg.set_document(doc)
    tg.index_text(p["contents"])
    doc.set_data(json.dumps({"id": p["id"], "contents": p["contents"]}))
    db.add_document(doc)
db.commit()
db.close()
build = time.time() - t0
size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)) / 1e6

t0 = time.time()
db = xapian.Database(path)
qp = xapian.QueryParser()
qp.set_stemmer(stem)
qp.set_stopper(stopper)
qp.set_stemming_strategy(xapian.QueryParser.STEM_ALL)
qp.set_default_op(xapian.Query.OP_OR)
enq = xapian.Enquire(db)
enq.set_weighting_scheme(xapian.BM25Weight(0.9, 0, 1, 0.4, 0.5))


def search(q):
    enq.set_query(qp.parse_query(q, 0))
    return [json.loads(m.document.get_data()) for m in enq.get_mset(0, 5)]


search(queries[0])
startup = time.time() - t0
t0 = time.time()
for q in queries:
    search(q)
qps = len(queries) / (time.time() - t0)
print(json.dumps({"engine": "xapian", "build_s": build, "size_mb": size, "startup_s": startup,
                  "single_qps": qps, "batch_qps": qps, "note": "k1=0.9 b=0.4, one core (Python binding)"}))
