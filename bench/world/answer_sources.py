#!/usr/bin/env python3
"""Where a policy's final answers come from, by question type.

Reads a `research eval` results file (DIR/research/test.jsonl) and the
world's question file (with each question's type) and prints, per type:
EM, how many traces hold the gold answer in one of their thoughts, and
where each prediction comes from: the end of the last thought, some other
thought, "yes"/"no", empty, or nowhere in the thoughts.

Usage: python3 bench/world/answer_sources.py RESULTS.jsonl WORLD/test.jsonl
"""
import collections
import json
import re
import sys


def main(results_path, questions_path):
    types = {}
    with open(questions_path) as f:
        for line in f:
            q = json.loads(line)
            types[q["id"]] = q["type"]
    n, em, gold_read = collections.Counter(), collections.Counter(), collections.Counter()
    source = collections.defaultdict(collections.Counter)
    with open(results_path) as f:
        for line in f:
            r = json.loads(line)
            ty = types[r["id"]]
            n[ty] += 1
            em[ty] += r["metrics"]["em"]
            thoughts = re.findall(r"<think>(.*?)</think>", r["trajectory"]["response"], flags=re.S)
            if any(r["golden_answers"][0] in t for t in thoughts):
                gold_read[ty] += 1
            source[ty][where(r["pred"], thoughts)] += 1
    for ty in sorted(n):
        kinds = ", ".join(f"{k} {v}" for k, v in source[ty].most_common())
        print(f"{ty}: {n[ty]} questions, EM {em[ty]:g}, gold in a thought {gold_read[ty]}; answers: {kinds}")


def where(pred, thoughts):
    if not pred:
        return "empty"
    if pred in ("yes", "no"):
        return "yes/no"
    if thoughts and thoughts[-1].strip().endswith(pred):
        return "ends the last thought"
    if any(pred in t for t in thoughts):
        return "in another thought"
    return "nowhere read"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
