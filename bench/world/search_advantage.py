#!/usr/bin/env python3
"""What GRPO rewards, by question type and number of searches made.

Reads the rollout dumps of a training run (TRAIN/rollouts/train-step*.jsonl)
and the world's train questions (with each question's type), and prints for
each type and search count, over a range of steps: how many rollouts, their
mean reward, and their mean GRPO advantage (reward minus the group's mean,
over the group's standard deviation; 0 where the group's rewards are all
equal). A positive advantage for a search count means the update makes
that count more likely for that type.

Usage: python3 bench/world/search_advantage.py TRAIN WORLD/train.jsonl [FIRST LAST]
  e.g. python3 bench/world/search_advantage.py runs/demo/train runs/demo/world/train.jsonl 1 50
"""
import collections
import glob
import json
import os
import re
import statistics
import sys


def main(train_dir, questions_path, first=1, last=None):
    types = {}
    with open(questions_path) as f:
        for line in f:
            q = json.loads(line)
            types[q["id"]] = q["type"]
    count = collections.Counter()
    reward, advantage = collections.defaultdict(float), collections.defaultdict(float)
    for path in sorted(glob.glob(os.path.join(train_dir, "rollouts", "train-step*.jsonl"))):
        step = int(re.search(r"step(\d+)", path).group(1))
        if step < first or (last is not None and step > last):
            continue
        groups = collections.defaultdict(list)
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                groups[r["example_id"]].append(r)
        for qid, group in groups.items():
            rewards = [r["reward"] for r in group]
            mean, std = statistics.mean(rewards), statistics.pstdev(rewards)
            for r in group:
                key = (types[qid], len(r["searches"] or []))
                count[key] += 1
                reward[key] += r["reward"]
                advantage[key] += (r["reward"] - mean) / std if std > 0 else 0.0
    print("| type | searches | rollouts | mean reward | mean advantage |")
    print("|---|---:|---:|---:|---:|")
    for key in sorted(count):
        n = count[key]
        print(f"| {key[0]} | {key[1]} | {n} | {reward[key] / n:.3f} | {advantage[key] / n:+.3f} |")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    bounds = [int(a) for a in sys.argv[3:]]
    main(sys.argv[1], sys.argv[2], *bounds)
