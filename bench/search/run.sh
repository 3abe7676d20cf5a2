#!/bin/sh
# Runs the search benchmarks from the repo root. Needs Debian python3-xapian
# for the Xapian columns (apt-get install python3-xapian).
#   sh bench/search/run.sh [DOCS]     # default 200000 passages
set -e
DOCS=${1:-200000}
echo "== recall@5 on pooled HotpotQA paragraphs (ours vs Xapian)"
sh bench/search/hotpot_recall.sh
echo "== build / size / start-up / QPS on a Zipfian corpus of $DOCS passages"
go run -C bench ./search/bm25bench --docs "$DOCS"
echo "== load test: 64 clients, 60 s, mixed good and bad requests"
go run -C bench ./search/loadtest --corpus "$PWD/../shared/data/corpus/wiki18_sample_1000.jsonl" --duration 60s
