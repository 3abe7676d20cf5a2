#!/bin/sh
# Recall@5 of supporting titles on the pooled HotpotQA distractor paragraphs:
# our BM25 vs Xapian's (Debian python3-xapian), same k1/b, stop words and
# Porter stemmer. Run from the repo root: sh bench/search/hotpot_recall.sh
set -e
SRC=${1:-../shared/data/corpus/hotpotqa_dev500_distractor.jsonl}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 bench/search/hotpot_pool.py "$SRC" "$TMP/corpus.jsonl" "$TMP/questions.jsonl"
go run -C bench ./search/hotpotrecall "$TMP/corpus.jsonl" "$TMP/questions.jsonl" 5 | tee "$TMP/ours.txt"
/usr/bin/python3 bench/search/xapian_recall.py "$TMP/corpus.jsonl" "$TMP/questions.jsonl" 5 | tee "$TMP/xapian.txt"
awk 'NR==FNR {o=$3; next} {printf "difference (ours - xapian): %+.2f points\n", o-$3}' "$TMP/ours.txt" "$TMP/xapian.txt"
