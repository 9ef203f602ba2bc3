#!/usr/bin/env bash
# Kernel micro-benchmarks (JMH): matmul by dtype and rows per pass, reported as GFLOP/s and GB/s.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl decoder -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/jmh-classpath.txt
CP="decoder/target/test-classes:decoder/target/classes:$(cat decoder/target/jmh-classpath.txt)"
exec java --add-modules=jdk.incubator.vector -XX:PerMethodTrapLimit=10000 -cp "$CP" dev.stride.decoder.bench.KernelBenchmarks "$@"
