#!/usr/bin/env bash
# GPU acceptance of the CUDA backend, for a machine with an NVIDIA GPU and driver but no Maven and no Java. Takes the
# bundle from scripts/make-gpu-bundle.sh (its directory or its .tar.gz), runs the CUDA parity tests, stride bench on
# the fixture model (CPU and GPU, plain and multi-token) and a pass-cost run on a random 8B-shaped bf16 model it
# creates in WORK_DIR (16 GB of disk; --no-8b skips it), and prints one table. Exits 0 when everything passed.
#
#   scripts/gpu-check.sh target/stride-gpu-bundle.tar.gz [WORK_DIR] [--no-8b]
set -euo pipefail
BUNDLE="${1:?usage: gpu-check.sh BUNDLE_DIR_OR_TARBALL [WORK_DIR] [--no-8b]}"
shift
WORK="${TMPDIR:-/tmp}/stride-gpu-check"
if [[ $# -gt 0 && "$1" != --* ]]; then
  WORK="$1"
  shift
fi
mkdir -p "$WORK/tmp" "$WORK/djl"
if [[ -f "$BUNDLE" ]]; then
  rm -rf "$WORK/gpu-bundle"
  tar -xzf "$BUNDLE" -C "$WORK"
  BUNDLE="$WORK/gpu-bundle"
fi
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.used --format=csv,noheader
else
  echo "gpu-check: no nvidia-smi on PATH"
fi
MODEL="$BUNDLE/model/fortunes-llama-2m"
export DJL_CACHE_DIR="$WORK/djl" # the tokenizer's native library is unpacked here
exec "$BUNDLE/jre/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:+IgnoreUnrecognizedVMOptions -XX:PerMethodTrapLimit=10000 -Xmx32g -Djava.io.tmpdir="$WORK/tmp" -Dstride.fixture.dir="$MODEL" \
  -Djava.util.logging.SimpleFormatter.format='%4$s: %5$s%n' \
  -cp "$BUNDLE/stride-decoder.jar:$BUNDLE/lib/*:$BUNDLE/stride-decoder-tests.jar:$BUNDLE/test-lib/*" \
  dev.stride.decoder.cuda.GpuCheck "$MODEL" "$WORK" "$@" 2> >(grep -v 'Using incubator modules' >&2)
