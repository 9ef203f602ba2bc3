// Softmax attention of each row over its visible cache slots: the prefix slots [first, first + prefixCount),
// then extraCount slots listed in `extras` (a tree node's ancestors and itself), always in position order.
//
// One block per (row, kv head) serves the group of q heads sharing that kv head, so each key and value is read
// once per group. Keys go in tiles of ATT_TILE with an online softmax: per tile a block max, exponentials against
// the running max, a block sum, and a rescale of the running output. Every step is a fixed-order reduction over the
// row's own keys, so the result does not depend on the other rows of the pass.
#pragma once
#include "rope.cuh"

namespace stride {
constexpr int ATT_TILE = 128;  // keys per tile = threads per block
}

// Dynamic shared memory, in floats: q and out (2 * group * headDim), probabilities (group * ATT_TILE),
// slots (ATT_TILE), running max, sum and rescale (3 * group), reduction scratch (32).
extern "C" __global__ void __launch_bounds__(stride::ATT_TILE)
    attention(const float* __restrict__ qkv, float* __restrict__ out, const long long* __restrict__ cache_base,
              const int* __restrict__ capacity, const int* __restrict__ first, const int* __restrict__ prefix_count,
              const int* __restrict__ extra_begin, const int* __restrict__ extra_count, const int* __restrict__ extras,
              int layer, int heads, int kv_heads, int head_dim, float scale) {
    using stride::ATT_TILE;
    STRIDE_DYNAMIC_SHARED(shared);
    const int row = blockIdx.x;
    const int kv_head = blockIdx.y;
    const int group = heads / kv_heads;
    const int width = group * head_dim;
    const int q_dim = heads * head_dim;
    const int kv_dim = kv_heads * head_dim;
    float* q = shared;
    float* acc = q + width;
    float* p = acc + width;
    int* slot_of = reinterpret_cast<int*>(p + group * ATT_TILE);
    float* running_max = reinterpret_cast<float*>(slot_of + ATT_TILE);
    float* running_sum = running_max + group;
    float* rescale = running_sum + group;
    float* scratch = rescale + group;

    const float* q_src = qkv + static_cast<size_t>(row) * (q_dim + 2 * kv_dim) + kv_head * width;
    for (int e = threadIdx.x; e < width; e += blockDim.x) {
        q[e] = q_src[e];
        acc[e] = 0.0f;
    }
    for (int g = threadIdx.x; g < group; g += blockDim.x) {
        running_max[g] = -INFINITY;
        running_sum[g] = 0.0f;
    }
    const float* keys = stride::cache_plane(cache_base[row], capacity[row], layer, 0, kv_dim) + kv_head * head_dim;
    const float* values = stride::cache_plane(cache_base[row], capacity[row], layer, 1, kv_dim) + kv_head * head_dim;
    const int prefix = prefix_count[row];
    const int count = prefix + extra_count[row];
    const int* row_extras = extras + extra_begin[row];

    for (int tile = 0; tile < count; tile += ATT_TILE) {
        __syncthreads();  // the previous tile's probabilities and slots are consumed, the stats written
        const int j = tile + static_cast<int>(threadIdx.x);
        const bool valid = j < count;
        if (valid) {
            const int slot = j < prefix ? first[row] + j : row_extras[j - prefix];
            slot_of[threadIdx.x] = slot;
            const float* k = keys + static_cast<size_t>(slot) * kv_dim;
            for (int g = 0; g < group; g++) {
                const float* qg = q + g * head_dim;
                float dot = 0.0f;
                for (int d = 0; d < head_dim; d += 4) {
                    const float4 kv = *reinterpret_cast<const float4*>(k + d);
                    dot = fmaf(qg[d], kv.x, dot);
                    dot = fmaf(qg[d + 1], kv.y, dot);
                    dot = fmaf(qg[d + 2], kv.z, dot);
                    dot = fmaf(qg[d + 3], kv.w, dot);
                }
                p[g * ATT_TILE + threadIdx.x] = __fmul_rn(dot, scale);
            }
        }
        for (int g = 0; g < group; g++) {
            const float score = valid ? p[g * ATT_TILE + threadIdx.x] : -INFINITY;
            const float previous = running_max[g];
            const float now = fmaxf(previous, stride::block_max(score, scratch));
            const float weight = valid ? expf(score - now) : 0.0f;
            p[g * ATT_TILE + threadIdx.x] = weight;
            const float total = stride::block_sum(weight, scratch);
            if (threadIdx.x == 0) {  // every thread read running_max[g] before block_sum's barriers
                const float factor = expf(previous - now);
                rescale[g] = factor;
                running_sum[g] = fmaf(running_sum[g], factor, total);
                running_max[g] = now;
            }
        }
        __syncthreads();
        const int tile_length = count - tile < ATT_TILE ? count - tile : ATT_TILE;
        for (int e = threadIdx.x; e < width; e += blockDim.x) {
            const int g = e / head_dim;
            const int d = e - g * head_dim;
            const float* pg = p + g * ATT_TILE;
            float a = acc[e] * rescale[g];
            for (int t = 0; t < tile_length; t++) {
                a = fmaf(pg[t], values[static_cast<size_t>(slot_of[t]) * kv_dim + d], a);
            }
            acc[e] = a;
        }
    }
    __syncthreads();
    float* dst = out + static_cast<size_t>(row) * q_dim + kv_head * width;
    for (int e = threadIdx.x; e < width; e += blockDim.x) {
        dst[e] = acc[e] * (1.0f / running_sum[e / head_dim]);
    }
}
STRIDE_REGISTER(attention)
