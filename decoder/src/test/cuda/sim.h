// CPU emulation of the CUDA subset the Stride kernels use, so tests can run the real kernel sources on machines
// without a GPU. The threads of a block are fibers on one OS thread, switched at __syncthreads and warp shuffles:
// barrier and shuffle semantics are reproduced (a divergent barrier or shuffle is reported as a deadlock). Blocks
// run one after another, so a __shared__ variable can simply be a function-level static.
//
// Numerics follow the host libm (expf may differ from the device's in the last bits): the emulator checks indexing,
// synchronization and orchestration, not device rounding.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

struct uint3 {
    unsigned int x, y, z;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(16) uint4 {
    unsigned int x, y, z, w;
};

namespace stride_sim {

extern uint3 block_idx;
extern uint3 block_dim;
extern uint3 grid_dim;
const uint3& thread_idx();
void sync_block();
std::uint64_t shuffle_xor(std::uint64_t bits, int lane_mask);
void* dynamic_shared();

using Launcher = std::function<void(const std::uint64_t*)>;
void register_kernel(const char* name, const std::string& signature, Launcher launcher);

template <typename T>
T unpack(std::uint64_t v) {
    if constexpr (std::is_pointer_v<T>) {
        return reinterpret_cast<T>(static_cast<std::uintptr_t>(v));
    } else if constexpr (std::is_same_v<T, float>) {
        const auto bits = static_cast<std::uint32_t>(v);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    } else {
        static_assert(std::is_same_v<T, int>, "kernel parameters are pointers, int or float");
        return static_cast<int>(static_cast<std::int64_t>(v));
    }
}

// 'p' pointer, 'i' int, 'f' float: checked against what the Java side passes.
template <typename T>
constexpr char kind() {
    return std::is_pointer_v<T> ? 'p' : std::is_same_v<T, float> ? 'f' : 'i';
}

struct Registration {
    template <typename... A>
    Registration(const char* name, void (*kernel)(A...)) {
        register_kernel(name, std::string{kind<A>()...}, [kernel](const std::uint64_t* args) {
            call(kernel, args, std::index_sequence_for<A...>{});
        });
    }

    template <typename... A, std::size_t... I>
    static void call(void (*kernel)(A...), const std::uint64_t* args, std::index_sequence<I...>) {
        kernel(unpack<A>(args[I])...);
    }
};

}  // namespace stride_sim

#define threadIdx (stride_sim::thread_idx())
#define blockIdx (stride_sim::block_idx)
#define blockDim (stride_sim::block_dim)
#define gridDim (stride_sim::grid_dim)

#define STRIDE_REGISTER(kernel) static stride_sim::Registration stride_sim_registration_##kernel(#kernel, kernel);
#define STRIDE_DYNAMIC_SHARED(name) float* name = static_cast<float*>(stride_sim::dynamic_shared())

inline void __syncthreads() { stride_sim::sync_block(); }

template <typename T>
T __shfl_xor_sync(unsigned int, T value, int lane_mask) {
    static_assert(sizeof(T) <= sizeof(std::uint64_t), "shuffled values fit 64 bits");
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof value);
    bits = stride_sim::shuffle_xor(bits, lane_mask);
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

inline float __uint_as_float(unsigned int u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

struct __half {
    unsigned short bits;
};
inline __half __ushort_as_half(unsigned short bits) { return __half{bits}; }
inline float __half2float(__half h) {
    const unsigned int sign = (h.bits & 0x8000u) << 16;
    const unsigned int exponent = (h.bits >> 10) & 0x1fu;
    const unsigned int mantissa = h.bits & 0x3ffu;
    if (exponent == 0x1f) {
        return __uint_as_float(sign | 0x7f800000u | (mantissa << 13));
    }
    if (exponent == 0) {
        const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
        return sign ? -magnitude : magnitude;
    }
    return __uint_as_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// The emulator is compiled with -ffp-contract=off, so these are plain rounded operations.
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
