#!/bin/sh
# GRPO step time of research train through serve-tinker on loopback
# (backend.url) against the same steps in process, on the demo's setup
# (bench/tinker/steptime/main.go says what is adapted for the service:
# LoRA rank 8, temperature 1, no KL or entropy term). Runs alternate, in
# process then remote, so a shared machine's load hits both alike; prints
# every step's time, the medians, the ratio and the overhead (issue 22's
# goal: ≤ 10%), then a JSON line. Usage, from the repository root:
#   sh bench/tinker/steptime.sh [STEPS] [ROUNDS] [-- extra flags]
# A smoke run of one small step:
#   sh bench/tinker/steptime.sh 1 1 -entities 60 -batch 2 -n 2 -max-tokens 128
set -e
STEPS=${1:-3}
ROUNDS=${2:-2}
[ $# -ge 1 ] && shift
[ $# -ge 1 ] && shift
cd "$(dirname "$0")/../.."
BIN=$(mktemp -d)/steptime
go build -C bench -o "$BIN" ./tinker/steptime
echo "steps $STEPS, rounds $ROUNDS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" -steps "$STEPS" -rounds "$ROUNDS" "$@"
rm -rf "$(dirname "$BIN")"
