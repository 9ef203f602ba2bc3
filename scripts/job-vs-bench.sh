#!/usr/bin/env bash
# The job's decoding speed against the engine alone on the same prompts (docs/job.md, "Spark overhead, measured"),
# as alternating pairs: this machine's speed drifts within minutes, so one pair proves little; the median is printed.
#   scripts/job-vs-bench.sh PROMPTS_DIR [PAIRS] [MAX_BATCH] [THREADS]
# PROMPTS_DIR holds prompts.parquet and prompts.jsonl with the same rows (dev.stride.job.BenchPrompts writes them).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: $0 PROMPTS_DIR [PAIRS] [MAX_BATCH] [THREADS]}
pairs=${2:-5}
batch=${3:-8}
threads=${4:-2}
rows=$(wc -l < "$dir/prompts.jsonl")
ratios=()
for ((i = 1; i <= pairs; i++)); do
  engine=$(bin/stride bench --model models/fortunes-llama-2m --heads models/fortunes-llama-2m-heads --tree chain:1 \
      --input "$dir/prompts.jsonl" --prompts "$rows" --stop-at-eos --max-new-tokens 64 --max-batch "$batch" \
      --threads "$threads" --repeat 1 2>/dev/null | grep -oE '"ar_tokens_per_s":[0-9.]+' | cut -d: -f2)
  rm -rf "$dir/job-vs-bench"
  job=$(bin/stride-job --input "$dir/prompts.parquet" --output "$dir/job-vs-bench" --mode ar --max-batch "$batch" \
      --threads "$threads" --max-new-tokens 64 --partitions 1 2>&1 | awk '$1 == "decoding" {print $2}')
  ratio=$(awk -v j="$job" -v e="$engine" 'BEGIN {printf "%.3f", j / e}')
  ratios+=("$ratio")
  printf 'pair %d  %s  engine %.0f tokens/s  job %.0f tokens/s  job/engine %s\n' "$i" "$(date -u +%H:%M)" \
      "$engine" "$job" "$ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{r[NR] = $1} END {
  m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2; printf "median job/engine over %d pairs: %.3f\n", NR, m }'
