// The k largest logits of each row, ordered by (logit desc, id asc) exactly like the CPU sampler ranks them;
// k = 1 is argmax with the lowest id winning ties. NaN logits are never chosen. One block per row.
//
// Thread t owns ids t, t + blockDim, ... and keeps its best one not yet chosen. Each round the block picks the best
// of those by a fixed-order reduction and only the owner of the pick rescans its ids for its next best.
#pragma once
#include "common.cuh"

namespace stride {

constexpr int NO_ID = 0x7fffffff;  // an empty candidate: ranks below every real logit, even -inf

struct Candidate {
    float value;
    int id;
};

__device__ __forceinline__ bool ranks_before(float v, int i, float w, int j) {
    return v > w || (v == w && i < j);
}

// The owner's best id that ranks after `bound`, or an empty candidate.
__device__ __forceinline__ Candidate best_after(const float* logits, int vocab, Candidate bound) {
    Candidate best = {-INFINITY, NO_ID};
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        const float v = logits[i];
        if (ranks_before(bound.value, bound.id, v, i) && ranks_before(v, i, best.value, best.id)) {
            best = {v, i};
        }
    }
    return best;
}

}  // namespace stride

extern "C" __global__ void top_k(const float* __restrict__ logits, int vocab, int k, int* __restrict__ ids,
                                 float* __restrict__ values) {
    using stride::Candidate;
    __shared__ Candidate scratch[32];
    const float* row = logits + static_cast<size_t>(blockIdx.x) * vocab;
    Candidate mine = stride::best_after(row, vocab, Candidate{INFINITY, -1});
    for (int round = 0; round < k; round++) {
        Candidate best = mine;
#pragma unroll
        for (int offset = 16; offset > 0; offset >>= 1) {
            const float v = __shfl_xor_sync(STRIDE_FULL_MASK, best.value, offset);
            const int i = __shfl_xor_sync(STRIDE_FULL_MASK, best.id, offset);
            if (stride::ranks_before(v, i, best.value, best.id)) {
                best = {v, i};
            }
        }
        __syncthreads();  // the previous round is done reading scratch
        if ((threadIdx.x & 31) == 0) {
            scratch[threadIdx.x >> 5] = best;
        }
        __syncthreads();
        best = scratch[0];
        for (int w = 1; w < static_cast<int>(blockDim.x >> 5); w++) {
            if (stride::ranks_before(scratch[w].value, scratch[w].id, best.value, best.id)) {
                best = scratch[w];
            }
        }
        if (threadIdx.x == 0) {
            ids[static_cast<size_t>(blockIdx.x) * k + round] = best.id == stride::NO_ID ? -1 : best.id;
            values[static_cast<size_t>(blockIdx.x) * k + round] = best.value;
        }
        if (best.id != stride::NO_ID && best.id % static_cast<int>(blockDim.x) == static_cast<int>(threadIdx.x)) {
            mine = stride::best_after(row, vocab, best);
        }
    }
}
STRIDE_REGISTER(top_k)
