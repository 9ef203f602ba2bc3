#!/usr/bin/env bash
# Builds the CPU emulator of the Stride kernels (sim.h, sim.cpp) as a JNI library for the tests. Called by Maven with
# the output directory and the JDK home; without a C++ compiler the emulator tests are skipped, not failed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KERNELS="$(cd "$HERE/../../main/cuda" && pwd)"
OUT_DIR="${1:?usage: build-sim.sh OUTPUT_DIR JAVA_HOME}"
JDK="${2:?usage: build-sim.sh OUTPUT_DIR JAVA_HOME}"
OUT="$OUT_DIR/libstride_cuda_sim.so"
CXX="${CXX:-$(command -v g++ || command -v clang++ || true)}"
if [[ -z "$CXX" || ! -f "$JDK/include/jni.h" ]]; then
  rm -f "$OUT"
  echo "[stride] no C++ compiler or JNI headers: the CUDA emulator tests will be skipped"
  exit 0
fi
if [[ -f "$OUT" && -z "$(find "$HERE" "$KERNELS" -newer "$OUT" \( -name '*.cu' -o -name '*.cuh' -o -name '*.h' \
      -o -name '*.cpp' -o -name '*.sh' \) -print -quit)" ]]; then
  exit 0
fi
mkdir -p "$OUT_DIR"
# -ffp-contract=off: the emulator's __fmul_rn and friends must stay separately rounded operations.
"$CXX" -std=c++17 -O2 -g -fPIC -shared -ffp-contract=off -Wall -Wno-unknown-pragmas -DSTRIDE_SIM \
  -I"$HERE" -I"$KERNELS" -I"$JDK/include" -I"$JDK/include/linux" \
  -o "$OUT.tmp" "$HERE/sim.cpp"
mv "$OUT.tmp" "$OUT"
echo "[stride] built the CUDA emulator: $OUT"
