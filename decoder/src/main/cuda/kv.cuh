// KV slot compaction after a tree pass: accepted nodes move from their scratch slots to consecutive slots.
// One block per (layer, keys|values); moves run in submission order, so a move may read an earlier one's result.
#pragma once
#include "rope.cuh"

// moves: (capacity, from, to) per move; cache_base: the moved cache per move.
extern "C" __global__ void kv_move(const long long* __restrict__ cache_base, const int* __restrict__ moves,
                                   int count, int kv_dim) {
    const int layer = blockIdx.x;
    const int kind = blockIdx.y;
    for (int m = 0; m < count; m++) {
        float* plane = stride::cache_plane(cache_base[m], moves[3 * m], layer, kind, kv_dim);
        const float* from = plane + static_cast<size_t>(moves[3 * m + 1]) * kv_dim;
        float* to = plane + static_cast<size_t>(moves[3 * m + 2]) * kv_dim;
        for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
            to[i] = from[i];
        }
        __syncthreads();
    }
}
STRIDE_REGISTER(kv_move)
