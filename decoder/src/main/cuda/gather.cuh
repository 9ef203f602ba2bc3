// Row gather: the embedding lookup (tokens into the stored-dtype table) and the copy of the hidden rows that
// want logits. One block per output row.
#pragma once
#include "common.cuh"

namespace stride {

template <typename T>
__device__ __forceinline__ void gather_rows(const T* __restrict__ table, const int* __restrict__ index,
                                            float* __restrict__ out, int width) {
    const T* src = table + static_cast<size_t>(index[blockIdx.x]) * width;
    float* dst = out + static_cast<size_t>(blockIdx.x) * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        dst[i] = to_float(src[i]);
    }
}

}  // namespace stride

#define STRIDE_GATHER(suffix, type)                                                                      \
    extern "C" __global__ void gather_rows_##suffix(const type* table, const int* index, float* out,     \
                                                    int width) {                                         \
        stride::gather_rows(table, index, out, width);                                                   \
    }                                                                                                    \
    STRIDE_REGISTER(gather_rows_##suffix)

STRIDE_GATHER(f32, float)
STRIDE_GATHER(f16, stride::F16)
STRIDE_GATHER(bf16, stride::Bf16)
