// out[n][N] (=|+=) x[n][K] times the transpose of w[N][K]; w in its stored dtype, x and out float32.
//
// Batch invariance: every output element is computed by one lane-sliced reduction whose order depends only on K.
// Lane l of a warp accumulates k = s * 256 + l * 8 + j (step s ascending, j = 0..7) with fused multiply-adds, then
// the warp sums its 32 lane partials in a fixed butterfly. The tile shape is the same for every n; rows a tile does
// not have are skipped, never computed with different arithmetic. Needs K % 8 == 0.
//
// Block: 4 warps, each owning 4 consecutive outputs for the block's 16 rows. grid.x = row tiles (fastest, so the
// blocks that share a weight slice run together and share it through L2), grid.y = output tiles of 16.
#pragma once
#include "common.cuh"

namespace stride {

constexpr int MM_WARPS = 4;
constexpr int MM_OUTS = 4;   // outputs per warp
constexpr int MM_ROWS = 16;  // rows per block
constexpr int MM_STEP = 256; // k values per warp step: 8 per lane
static_assert(MM_OUTS * MM_ROWS == 64, "the epilogue reduces 64 values per warp");

// One step of warp_reduce_scatter64: a lane keeps the lower or upper HALF of its values, adds its partner's copy of
// that half and gives up the other. The step is a template so every index is a compile-time constant and the
// values stay in registers.
template <int HALF>
__device__ __forceinline__ void reduce_scatter_step(float v[64], int lane) {
    constexpr int OFFSET = HALF / 2;
    const bool upper = (lane & OFFSET) != 0;
#pragma unroll
    for (int i = 0; i < HALF; i++) {
        const float lower_value = v[i];
        const float upper_value = v[i + HALF];
        const float send = upper ? lower_value : upper_value;
        const float keep = upper ? upper_value : lower_value;
        v[i] = keep + __shfl_xor_sync(STRIDE_FULL_MASK, send, OFFSET);
    }
}

// Sums each of v[0..64) over the warp's lanes in a fixed butterfly; lane l ends with the totals of elements 2l and
// 2l + 1 in v[0] and v[1].
__device__ __forceinline__ void warp_reduce_scatter64(float v[64]) {
    const int lane = threadIdx.x & 31;
    reduce_scatter_step<32>(v, lane);
    reduce_scatter_step<16>(v, lane);
    reduce_scatter_step<8>(v, lane);
    reduce_scatter_step<4>(v, lane);
    reduce_scatter_step<2>(v, lane);
}

template <typename T>
__device__ __forceinline__ void matmul(const T* __restrict__ w, const float* __restrict__ x, float* __restrict__ out,
                                       int n, int N, int K, int accumulate) {
    __shared__ __align__(16) float xs[MM_ROWS][MM_STEP];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int row0 = blockIdx.x * MM_ROWS;
    const int rows = n - row0 < MM_ROWS ? n - row0 : MM_ROWS;
    const int out0 = blockIdx.y * (MM_WARPS * MM_OUTS) + warp * MM_OUTS;

    float acc[MM_OUTS * MM_ROWS];
#pragma unroll
    for (int i = 0; i < MM_OUTS * MM_ROWS; i++) {
        acc[i] = 0.0f;
    }
    for (int k0 = 0; k0 < K; k0 += MM_STEP) {
        __syncthreads();  // the previous step's x tile is consumed
        for (int i = threadIdx.x; i < rows * (MM_STEP / 4); i += blockDim.x) {
            const int r = i / (MM_STEP / 4);
            const int c = (i - r * (MM_STEP / 4)) * 4;
            if (k0 + c < K) {
                *reinterpret_cast<float4*>(&xs[r][c]) =
                    *reinterpret_cast<const float4*>(x + static_cast<size_t>(row0 + r) * K + k0 + c);
            }
        }
        __syncthreads();
        const int k = k0 + lane * 8;
        if (k < K) {
            float wv[MM_OUTS][8];
#pragma unroll
            for (int o = 0; o < MM_OUTS; o++) {
                if (out0 + o < N) {
                    load8(w + static_cast<size_t>(out0 + o) * K + k, wv[o]);
                } else {
#pragma unroll
                    for (int j = 0; j < 8; j++) {
                        wv[o][j] = 0.0f;
                    }
                }
            }
#pragma unroll
            for (int r = 0; r < MM_ROWS; r++) {
                if (r < rows) {  // uniform across the block: absent rows cost nothing
                    float xv[8];
                    const float4 a = *reinterpret_cast<const float4*>(&xs[r][lane * 8]);
                    const float4 b = *reinterpret_cast<const float4*>(&xs[r][lane * 8 + 4]);
                    xv[0] = a.x; xv[1] = a.y; xv[2] = a.z; xv[3] = a.w;
                    xv[4] = b.x; xv[5] = b.y; xv[6] = b.z; xv[7] = b.w;
#pragma unroll
                    for (int o = 0; o < MM_OUTS; o++) {
#pragma unroll
                        for (int j = 0; j < 8; j++) {
                            acc[o * MM_ROWS + r] = fmaf(wv[o][j], xv[j], acc[o * MM_ROWS + r]);
                        }
                    }
                }
            }
        }
    }
    warp_reduce_scatter64(acc);
#pragma unroll
    for (int j = 0; j < 2; j++) {
        const int e = 2 * lane + j;
        const int o = out0 + e / MM_ROWS;
        const int r = e % MM_ROWS;
        if (r < rows && o < N) {
            float* dst = out + static_cast<size_t>(row0 + r) * N + o;
            *dst = accumulate ? *dst + acc[j] : acc[j];
        }
    }
}

}  // namespace stride

#define STRIDE_MATMUL(suffix, type)                                                                            \
    extern "C" __global__ void __launch_bounds__(stride::MM_WARPS * 32)                                        \
        matmul_##suffix(const type* w, const float* x, float* out, int n, int N, int K, int accumulate) {      \
        stride::matmul(w, x, out, n, N, K, accumulate);                                                        \
    }                                                                                                          \
    STRIDE_REGISTER(matmul_##suffix)

STRIDE_MATMUL(f32, float)
STRIDE_MATMUL(f16, stride::F16)
STRIDE_MATMUL(bf16, stride::Bf16)
