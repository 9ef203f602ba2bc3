// Shared helpers of the Stride kernels. Every reduction here has one fixed order that depends only on the
// block shape, never on how many rows a pass holds: this is what keeps GPU passes batch-invariant.
#pragma once

#ifdef STRIDE_SIM
#include "sim.h"  // CPU emulation of the CUDA execution model, used by the tests (src/test/cuda)
#else
#include <cuda_fp16.h>
// Kernels register themselves with the emulator only; on the device a kernel is found by its extern "C" name.
#define STRIDE_REGISTER(kernel)
#define STRIDE_DYNAMIC_SHARED(name) \
    extern __shared__ __align__(16) unsigned char stride_dynamic_shared[]; \
    float* name = reinterpret_cast<float*>(stride_dynamic_shared)
#endif

#define STRIDE_FULL_MASK 0xffffffffu

namespace stride {

// Stored weight element types. Tags rather than cuda_bf16 types, so the emulator needs no CUDA headers.
struct Bf16 {
    unsigned short bits;
};
struct F16 {
    unsigned short bits;
};

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(Bf16 v) { return __uint_as_float(static_cast<unsigned int>(v.bits) << 16); }
__device__ __forceinline__ float to_float(F16 v) { return __half2float(__ushort_as_half(v.bits)); }

// Eight consecutive weights from a 16-byte aligned address, widened to float.
__device__ __forceinline__ void load8(const float* p, float w[8]) {
    const float4 a = reinterpret_cast<const float4*>(p)[0];
    const float4 b = reinterpret_cast<const float4*>(p)[1];
    w[0] = a.x; w[1] = a.y; w[2] = a.z; w[3] = a.w;
    w[4] = b.x; w[5] = b.y; w[6] = b.z; w[7] = b.w;
}

template <typename T>
__device__ __forceinline__ void load8(const T* p, float w[8]) {
    const uint4 u = *reinterpret_cast<const uint4*>(p);
    const unsigned int words[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
    for (int i = 0; i < 4; i++) {  // little-endian: the low half of a word is the lower address
        w[2 * i] = to_float(T{static_cast<unsigned short>(words[i] & 0xffffu)});
        w[2 * i + 1] = to_float(T{static_cast<unsigned short>(words[i] >> 16)});
    }
}

// Sum over the block: a butterfly inside each warp (every lane gets the same bits, since a + b == b + a),
// then the warp totals in warp order. Every thread returns the same value. scratch: 32 shared floats.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(STRIDE_FULL_MASK, v, offset);
    }
    __syncthreads();  // the previous call may still be reading scratch
    if ((threadIdx.x & 31) == 0) {
        scratch[threadIdx.x >> 5] = v;
    }
    __syncthreads();
    float total = scratch[0];
    for (int w = 1; w < static_cast<int>(blockDim.x >> 5); w++) {
        total += scratch[w];
    }
    return total;
}

// Maximum over the block; exact in any order, returned to every thread. scratch: 32 shared floats.
__device__ __forceinline__ float block_max(float v, float* scratch) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(STRIDE_FULL_MASK, v, offset));
    }
    __syncthreads();
    if ((threadIdx.x & 31) == 0) {
        scratch[threadIdx.x >> 5] = v;
    }
    __syncthreads();
    float best = scratch[0];
    for (int w = 1; w < static_cast<int>(blockDim.x >> 5); w++) {
        best = fmaxf(best, scratch[w]);
    }
    return best;
}

}  // namespace stride
