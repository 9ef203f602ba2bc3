#!/usr/bin/env bash
# The job's decoding speed against the engine alone in one JVM (docs/job.md, "Spark overhead, measured"): the
# job's own engine decodes DIR/prompts.jsonl, then the job runs over DIR/prompts.parquet in the same embedded Spark,
# ROUNDS rounds, the two taking turns at going first; each round's ratio and the median are printed.
#   scripts/job-vs-engine.sh PROMPTS_DIR [ROUNDS]
# PROMPTS_DIR holds prompts.parquet and prompts.jsonl with the same rows (dev.stride.job.BenchPrompts writes them).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: $0 PROMPTS_DIR [ROUNDS]}
rounds=${2:-5}
mvn -B -q -ntp -pl decoder,job -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt
# The job's JVM flags, as bin/stride-job passes them.
flags=$(sed -n 's/^JVM_FLAGS="\(.*\)"$/\1/p' bin/stride-job)
# shellcheck disable=SC2086 # the flag list is meant to split into words
exec java $flags ${JAVA_OPTS:-} -Dlog4j2.configurationFile=classpath:dev/stride/job/local-log4j2.properties \
  -cp "job/target/test-classes:job/target/classes:decoder/target/classes:$(cat job/target/test-classpath.txt)" \
  dev.stride.job.JobVersusEngine "$dir" "$rounds"
