// SiLU-gated MLP activation: act = silu(gate) * up, gate and up side by side in each row of gateUp.
#pragma once
#include "common.cuh"

extern "C" __global__ void silu_gate(const float* __restrict__ gate_up, float* __restrict__ out, int rows,
                                     int inter) {
    const size_t total = static_cast<size_t>(rows) * inter;
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
         i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const size_t row = i / inter;
        const size_t col = i - row * inter;
        const float gate = gate_up[row * 2 * inter + col];
        const float up = gate_up[row * 2 * inter + inter + col];
        // Rounded operations, not contracted: the same expression the CPU evaluates.
        out[i] = __fmul_rn(__fdiv_rn(gate, __fadd_rn(1.0f, expf(-gate))), up);
    }
}
STRIDE_REGISTER(silu_gate)
