#!/usr/bin/env bash
# Two builds of the decoder decoding the demo side by side in one process, rounds alternating: the "jar against jar"
# ratios of docs/benchmark-log.md. A build is a directory with stride-decoder.jar and lib/, e.g. the old one saved with
#   mvn -q -pl decoder -am -DskipTests package && mkdir -p /tmp/old \
#     && cp -r decoder/target/stride-decoder.jar decoder/target/lib /tmp/old
# before the change; this script builds the working tree's, so compare with decoder/target:
#   scripts/builds-ab.sh /tmp/old decoder/target [ROUNDS=21] [BATCH=1] [TREES=plain,chain:2,auto] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl decoder -am -DskipTests package
exec java --add-modules=jdk.incubator.vector -XX:PerMethodTrapLimit=10000 -cp decoder/target/test-classes \
  dev.stride.decoder.bench.BuildsSideBySide "$@"
