#!/usr/bin/env bash
# Reruns the measurements behind the README's Benchmarks section, in its order, printing each command's table.
# Takes about 5 minutes on 2 cores (plus creating the 350M model the first time); run it on an otherwise idle
# machine (numbers move with load).
# Usage: scripts/bench-readme.sh [DIR for the random 350M model, default /tmp/rm-350m] [FORTUNES riddles file]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=models/fortunes-llama-2m
HEADS=models/fortunes-llama-2m-heads
RANDOM_350M="${1:-/tmp/rm-350m}"
RIDDLES="${2:-}"
SWEEP=(bin/stride bench --sweep --model "$MODEL" --heads "$HEADS" --prompts 24 --max-new-tokens 64 --threads 2)

echo "== demo, plain and multi-token, batch 1: five trees, then chain:2 against auto over 41 rounds"
"${SWEEP[@]}" --max-batch 1 --repeat 7 --trees chain:1,chain:2,chain:3,nodes:4,auto 2>/dev/null | grep -v '^{'
"${SWEEP[@]}" --max-batch 1 --repeat 41 --trees chain:2,auto 2>/dev/null | grep -v '^{'

echo "== demo, batch 8"
"${SWEEP[@]}" --max-batch 8 --repeat 9 --trees auto,chain:1 2>/dev/null | grep -v '^{'
"${SWEEP[@]}" --max-batch 8 --repeat 61 --trees auto 2>/dev/null | grep -v '^{'

echo "== demo, pass cost"
bin/stride bench --pass-cost --model "$MODEL" --threads 2 2>/dev/null | grep -v '^{'

echo "== random ~350M Llama shape (bf16): pass cost and distance from the bandwidth bound"
if [[ ! -f "$RANDOM_350M/config.json" ]]; then
  bin/stride random-model --out "$RANDOM_350M" --shape 350m --dtype bf16
fi
STRIDE_JAVA_OPTS=-Xmx8g bin/stride bench --pass-cost --model "$RANDOM_350M" --threads 2 2>/dev/null | grep -v '^{'

echo "== 8-bit weights: speed against BF16 panels, then quality on the demo"
STRIDE_JAVA_OPTS=-Xmx8g scripts/q8-bench.sh speed "$RANDOM_350M" 5 2 2>/dev/null
if [[ -n "$RIDDLES" ]]; then
  scripts/q8-bench.sh quality "$MODEL" "$RIDDLES" 24 48 2 2>/dev/null
else
  echo "(quality skipped: pass the fortunes 'riddles' file as the second argument; see the README)"
fi

echo "== kernels (JMH), 1 thread"
scripts/jmh.sh -wi 3 -i 5 -f 1 -w 1s -r 1s -p threads=1 -p rows=1,4,16 -p size=4096 -p dtype=BF16 \
  -p layout=packed-bf16,q8 | tail -7
scripts/jmh.sh -wi 3 -i 5 -f 1 -w 1s -r 1s -p threads=1 -p rows=1,4,16 -p size=1024 -p dtype=F16 \
  -p layout=packed-f16 | tail -4
