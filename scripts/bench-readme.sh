#!/usr/bin/env bash
# Reruns the measurements behind the README's Benchmarks section and prints each command's final JSON line.
# Takes about 10 minutes on 2 cores; run it on an otherwise idle machine (numbers move with load).
# Usage: scripts/bench-readme.sh [DIR for the random 350M model, default /tmp/rm-350m]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=models/fortunes-llama-2m
HEADS=models/fortunes-llama-2m-heads
RANDOM_350M="${1:-/tmp/rm-350m}"

echo "== demo model, plain vs multi-token, batch 1 (one JSON line per tree and thread count)"
for threads in 1 2; do
  for tree in chain:1 chain:2 chain:4 nodes:16 auto; do
    bin/stride bench --model "$MODEL" --heads "$HEADS" --tree "$tree" --max-batch 1 --prompts 24 \
      --max-new-tokens 64 --repeat 5 --threads "$threads" 2>/dev/null | tail -1
  done
done

echo "== demo model, batch 8, auto"
bin/stride bench --model "$MODEL" --heads "$HEADS" --tree auto --max-batch 8 --prompts 24 --max-new-tokens 64 \
  --repeat 5 --threads 2 2>/dev/null | tail -1

echo "== random ~350M Llama shape (bf16): pass cost and distance from the bandwidth bound"
if [[ ! -f "$RANDOM_350M/config.json" ]]; then
  bin/stride random-model --out "$RANDOM_350M" --shape 350m
fi
for threads in 1 2; do
  bin/stride bench --pass-cost --model "$RANDOM_350M" --threads "$threads" 2>/dev/null | tail -1
done

echo "== kernels (JMH): 4096x4096, 1 thread"
scripts/jmh.sh -p size=4096 -p rows=1,4,16 -p threads=1 -p dtype=BF16 -p layout=streamed,packed-bf16 \
  -wi 2 -i 3 -w 500ms -r 500ms | tail -7
scripts/jmh.sh -p size=1024 -p rows=1,4,16 -p threads=1 -p dtype=F16 -p layout=packed \
  -wi 2 -i 3 -w 500ms -r 500ms | tail -4
