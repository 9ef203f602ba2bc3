#!/usr/bin/env bash
# q8 against full precision, the README's numbers (Benchmarks, "8-bit weights"):
#   scripts/q8-bench.sh quality MODEL_DIR [TEXT_FILE|-] [PROMPTS] [NEW_TOKENS] [THREADS]
#   scripts/q8-bench.sh speed MODEL_DIR [ROUNDS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  quality) main=dev.stride.decoder.bench.QuantizationQuality ;;
  speed) main=dev.stride.decoder.bench.Q8VersusPanels ;;
  *) echo "usage: $0 quality|speed MODEL_DIR ..." >&2; exit 2 ;;
esac
shift
mvn -B -q -pl decoder -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/q8-classpath.txt
CP="decoder/target/test-classes:decoder/target/classes:$(cat decoder/target/q8-classpath.txt)"
exec java ${STRIDE_JAVA_OPTS:-} --add-modules=jdk.incubator.vector -XX:PerMethodTrapLimit=10000 -cp "$CP" "$main" "$@"
