// The Stride kernels, one translation unit: build-fatbin.sh compiles it into the fatbin the CUDA backend loads
// (kernels are looked up by their extern "C" names), and the tests compile it for the CPU emulator.
#include "gather.cuh"
#include "norm.cuh"
#include "rope.cuh"
#include "matmul.cuh"
#include "attention.cuh"
#include "activation.cuh"
#include "topk.cuh"
#include "kv.cuh"
