// RMSNorm of each row, one block per row: out = x * (1 / sqrt(mean(x^2) + eps)) * weight.
#pragma once
#include "common.cuh"

extern "C" __global__ void rms_norm(const float* __restrict__ x, const float* __restrict__ weight, float eps,
                                    float* __restrict__ out, int dim) {
    __shared__ float scratch[32];
    const float* row = x + static_cast<size_t>(blockIdx.x) * dim;
    float* dst = out + static_cast<size_t>(blockIdx.x) * dim;
    float squares = 0.0f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        squares = fmaf(row[i], row[i], squares);
    }
    squares = stride::block_sum(squares, scratch);
    // The scale in double, rounded once, exactly as the CPU kernels compute it.
    const float inverse = static_cast<float>(1.0 / sqrt(static_cast<double>(squares / dim + eps)));
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        dst[i] = __fmul_rn(__fmul_rn(row[i], inverse), weight[i]);
    }
}
STRIDE_REGISTER(rms_norm)
