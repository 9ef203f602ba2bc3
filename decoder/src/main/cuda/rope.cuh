// After the fused q/k/v matmul: add the bias (Qwen2), rotate q and k (Hugging Face rotate_half: pairs i and
// i + headDim/2) and store k and v into the row's cache slot. q stays in place for attention. One block per row.
//
// A cache is one allocation laid out [layer][keys, values][slot][kvDim] in float32.
#pragma once
#include "common.cuh"

namespace stride {

__device__ __forceinline__ float* cache_plane(long long base, int capacity, int layer, int kind, int kv_dim) {
    return reinterpret_cast<float*>(base) + (static_cast<size_t>(2 * layer + kind) * capacity) * kv_dim;
}

}  // namespace stride

extern "C" __global__ void qkv_rope_store(float* __restrict__ qkv, const float* __restrict__ bias,
                                          const float* __restrict__ cos_table, const float* __restrict__ sin_table,
                                          const int* __restrict__ positions, const long long* __restrict__ cache_base,
                                          const int* __restrict__ capacity, const int* __restrict__ slots, int layer,
                                          int heads, int kv_heads, int head_dim) {
    const int row = blockIdx.x;
    const int half = head_dim / 2;
    const int q_dim = heads * head_dim;
    const int kv_dim = kv_heads * head_dim;
    float* r = qkv + static_cast<size_t>(row) * (q_dim + 2 * kv_dim);
    const float* cosines = cos_table + static_cast<size_t>(positions[row]) * half;
    const float* sines = sin_table + static_cast<size_t>(positions[row]) * half;
    const size_t slot_offset = static_cast<size_t>(slots[row]) * kv_dim;
    float* keys = stride::cache_plane(cache_base[row], capacity[row], layer, 0, kv_dim) + slot_offset;
    float* values = stride::cache_plane(cache_base[row], capacity[row], layer, 1, kv_dim) + slot_offset;

    // q heads then k heads are contiguous in the row, so one loop rotates both.
    for (int pair = threadIdx.x; pair < (heads + kv_heads) * half; pair += blockDim.x) {
        const int head = pair / half;
        const int i = pair - head * half;
        const int e = head * head_dim + i;
        float a = r[e];
        float b = r[e + half];
        if (bias != nullptr) {
            a = __fadd_rn(a, bias[e]);
            b = __fadd_rn(b, bias[e + half]);
        }
        const float c = cosines[i];
        const float s = sines[i];
        // Rounded, uncontracted operations: the same arithmetic as the CPU's a * c - b * s, b * c + a * s.
        const float ra = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
        const float rb = __fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s));
        if (head < heads) {
            r[e] = ra;
            r[e + half] = rb;
        } else {
            const int k = e - q_dim;
            keys[k] = ra;
            keys[k + half] = rb;
        }
    }
    for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
        const int e = q_dim + kv_dim + i;
        values[i] = bias != nullptr ? __fadd_rn(r[e], bias[e]) : r[e];
    }
}
STRIDE_REGISTER(qkv_rope_store)
