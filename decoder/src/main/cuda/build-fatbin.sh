#!/usr/bin/env bash
# Compiles the Stride kernels (stride_kernels.cu) into one fatbin: SASS for sm_80, sm_86, sm_89 and sm_90 plus
# compute_90 PTX, which the driver JIT-compiles for newer GPUs. Maven runs it with target/classes/cuda, so the
# fatbin ships in the decoder jar. Without nvcc the build goes on and the jar has no GPU kernels: --device cuda then
# says so, and cpu and auto work as before. NVCC, or else PATH and then $CUDA_HOME/bin, names the compiler.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${1:?usage: build-fatbin.sh OUTPUT_DIR}"
OUT="$OUT_DIR/stride_kernels.fatbin"
NVCC="${NVCC:-$(command -v nvcc || true)}"
if [[ -z "$NVCC" && -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ]]; then
  NVCC="${CUDA_HOME:-/usr/local/cuda}/bin/nvcc"
fi
if [[ -z "$NVCC" ]]; then
  rm -f "$OUT"
  echo "[stride] WARNING: nvcc not found: this jar has no GPU kernels (--device cuda will report it)"
  exit 0
fi
if [[ -f "$OUT" && -z "$(find "$SRC" -newer "$OUT" \( -name '*.cu' -o -name '*.cuh' -o -name '*.sh' \) -print -quit)" ]]; then
  exit 0
fi
mkdir -p "$OUT_DIR"
# No fast-math: expf, division and sqrt stay IEEE-accurate, as the CPU oracle expects.
"$NVCC" -fatbin -O3 -std=c++17 --threads 0 \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_86,code=sm_86 \
  -gencode arch=compute_89,code=sm_89 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$OUT.tmp" "$SRC/stride_kernels.cu"
mv "$OUT.tmp" "$OUT"
echo "[stride] built GPU kernels with $("$NVCC" --version | tail -1): $OUT ($(stat -c %s "$OUT") bytes)"
