// The emulator behind sim.h plus its JNI surface (dev.stride.decoder.cuda.SimGpu): "device" memory is host memory
// with guard bands checked after every launch, filled with NaN bytes when allocated so reads of unwritten memory
// show up in results.
#include <jni.h>

#include <cstdlib>
#include <map>
#include <stdexcept>
#include <vector>

#include "stride_kernels.cu"

namespace stride_sim {

uint3 block_idx;
uint3 block_dim;
uint3 grid_dim;

namespace {

constexpr std::size_t STACK_BYTES = 64 * 1024;
constexpr std::size_t GUARD = 256;  // keeps the 256-byte alignment cuMemAlloc gives
constexpr unsigned char GUARD_BYTE = 0xA5;

enum class Wait { NONE, BLOCK, WARP };

struct Fiber {
    void* sp = nullptr;
    char* stack = nullptr;
    uint3 idx{};
    Wait wait = Wait::NONE;
    unsigned long generation = 0;
    bool done = false;
};

struct Warp {
    int arrived = 0;
    unsigned long generation = 0;
    std::uint64_t exchange[2][32]{};
};

struct Kernel {
    std::string signature;
    Launcher launch;
};

std::map<std::string, Kernel>& registry() {
    static std::map<std::string, Kernel> kernels;
    return kernels;
}

std::vector<Fiber> fibers;
std::vector<Warp> warps;
int current = -1;
void* scheduler_sp = nullptr;
int block_arrived = 0;
int finished = 0;
unsigned long block_generation = 0;
const Launcher* body = nullptr;
const std::uint64_t* body_args = nullptr;
std::vector<float> shared_memory;
std::map<std::uintptr_t, std::size_t> allocations;  // user address -> bytes

}  // namespace

}  // namespace stride_sim

// Saves callee-saved registers and the FP control words on the current stack, stores its pointer in *from and
// resumes the stack `to` (System V x86-64).
extern "C" void stride_sim_switch(void** from, void* to);
asm(R"(
    .text
    .globl stride_sim_switch
    .type stride_sim_switch, @function
stride_sim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size stride_sim_switch, .-stride_sim_switch
)");

namespace stride_sim {
namespace {

void yield() { stride_sim_switch(&fibers[current].sp, scheduler_sp); }

[[noreturn]] void fiber_entry() {
    (*body)(body_args);
    fibers[current].done = true;
    finished++;
    // A finished thread no longer holds up a block barrier.
    if (block_arrived > 0 && block_arrived == static_cast<int>(block_dim.x) - finished) {
        block_arrived = 0;
        block_generation++;
    }
    yield();
    std::abort();  // never resumed
}

// A fresh stack whose first switch-in "returns" into fiber_entry with the ABI's entry alignment.
void* initial_stack(char* stack) {
    auto top = reinterpret_cast<std::uintptr_t>(stack + STACK_BYTES) & ~static_cast<std::uintptr_t>(15);
    auto* frame = reinterpret_cast<std::uint64_t*>(top - 16);
    frame[0] = reinterpret_cast<std::uint64_t>(&fiber_entry);  // return address
    frame -= 6;                                                 // rbp rbx r12 r13 r14 r15
    for (int i = 0; i < 6; i++) {
        frame[i] = 0;
    }
    frame -= 1;
    const std::uint32_t mxcsr = 0x1f80;
    const std::uint16_t fpu_control = 0x037f;
    std::memcpy(frame, &mxcsr, 4);
    std::memcpy(reinterpret_cast<char*>(frame) + 4, &fpu_control, 2);
    return frame;
}

void run_block(const std::string& kernel) {
    const int threads = static_cast<int>(block_dim.x);
    for (int t = 0; t < threads; t++) {
        Fiber& f = fibers[t];
        f.sp = initial_stack(f.stack);
        f.idx = uint3{static_cast<unsigned int>(t), 0, 0};
        f.wait = Wait::NONE;
        f.done = false;
    }
    for (Warp& w : warps) {
        w.arrived = 0;
    }
    block_arrived = 0;
    finished = 0;
    while (finished < threads) {
        bool progressed = false;
        for (int t = 0; t < threads; t++) {
            Fiber& f = fibers[t];
            bool ready = !f.done;
            if (ready && f.wait == Wait::BLOCK) {
                ready = f.generation != block_generation;
            } else if (ready && f.wait == Wait::WARP) {
                ready = f.generation != warps[t / 32].generation;
            }
            if (ready) {
                current = t;
                stride_sim_switch(&scheduler_sp, f.sp);
                progressed = true;
            }
        }
        if (!progressed) {
            throw std::runtime_error(kernel + ": deadlock (a barrier or shuffle not reached by every thread)");
        }
    }
}

}  // namespace

const uint3& thread_idx() { return fibers[current].idx; }

void sync_block() {
    Fiber& f = fibers[current];
    f.generation = block_generation;
    if (++block_arrived == static_cast<int>(block_dim.x) - finished) {
        block_arrived = 0;
        block_generation++;
        return;
    }
    f.wait = Wait::BLOCK;
    yield();
    fibers[current].wait = Wait::NONE;
}

std::uint64_t shuffle_xor(std::uint64_t bits, int lane_mask) {
    Fiber& f = fibers[current];
    const int lane = static_cast<int>(f.idx.x & 31);
    Warp& w = warps[f.idx.x / 32];
    // Two exchange buffers by generation parity: a lane that runs ahead writes the other one.
    const int buffer = static_cast<int>(w.generation & 1);
    w.exchange[buffer][lane] = bits;
    if (++w.arrived == 32) {
        w.arrived = 0;
        w.generation++;
    } else {
        f.generation = w.generation;
        f.wait = Wait::WARP;
        yield();
        fibers[current].wait = Wait::NONE;
    }
    return w.exchange[buffer][lane ^ lane_mask];
}

void* dynamic_shared() { return shared_memory.data(); }

void register_kernel(const char* name, const std::string& signature, Launcher launcher) {
    registry()[name] = Kernel{signature, std::move(launcher)};
}

namespace {

void launch(const std::string& name, const std::string& signature, int grid_x, int grid_y, int block,
            int shared_bytes, const std::uint64_t* args) {
    auto it = registry().find(name);
    if (it == registry().end()) {
        throw std::runtime_error("no kernel named " + name);
    }
    if (it->second.signature != signature) {
        throw std::runtime_error(name + ": parameters (" + it->second.signature + ") but launched with (" +
                                 signature + ")");
    }
    if (block <= 0 || block > 1024 || block % 32 != 0) {
        throw std::runtime_error(name + ": block of " + std::to_string(block) + " threads");
    }
    while (static_cast<int>(fibers.size()) < block) {
        Fiber f;
        f.stack = static_cast<char*>(std::aligned_alloc(64, STACK_BYTES));
        fibers.push_back(f);
    }
    warps.assign(block / 32, Warp{});
    shared_memory.assign((shared_bytes + 3) / 4 + 4, std::nanf(""));
    block_dim = uint3{static_cast<unsigned int>(block), 1, 1};
    grid_dim = uint3{static_cast<unsigned int>(grid_x), static_cast<unsigned int>(grid_y), 1};
    body = &it->second.launch;
    body_args = args;
    for (int y = 0; y < grid_y; y++) {
        for (int x = 0; x < grid_x; x++) {
            block_idx = uint3{static_cast<unsigned int>(x), static_cast<unsigned int>(y), 0};
            run_block(name);
        }
    }
}

void check_guards(const std::string& kernel) {
    for (const auto& [address, bytes] : allocations) {
        const auto* user = reinterpret_cast<const unsigned char*>(address);
        for (std::size_t i = 0; i < GUARD; i++) {
            if (user[-static_cast<std::ptrdiff_t>(i) - 1] != GUARD_BYTE || user[bytes + i] != GUARD_BYTE) {
                throw std::runtime_error(kernel + ": wrote outside the " + std::to_string(bytes) +
                                         "-byte allocation at " + std::to_string(address));
            }
        }
    }
}

void throw_java(JNIEnv* env, const char* message) {
    env->ThrowNew(env->FindClass("java/lang/IllegalStateException"), message);
}

}  // namespace
}  // namespace stride_sim

extern "C" {

JNIEXPORT jlong JNICALL Java_dev_stride_decoder_cuda_SimGpu_allocate0(JNIEnv*, jclass, jlong bytes) {
    using namespace stride_sim;
    const std::size_t size = static_cast<std::size_t>(bytes);
    const std::size_t total = (GUARD + size + GUARD + 255) / 256 * 256;
    auto* base = static_cast<unsigned char*>(std::aligned_alloc(256, total));
    std::memset(base, GUARD_BYTE, total);
    std::memset(base + GUARD, 0xff, size);  // NaN floats: unwritten memory is visible in results
    const auto address = reinterpret_cast<std::uintptr_t>(base + GUARD);
    allocations[address] = size;
    return static_cast<jlong>(address);
}

JNIEXPORT void JNICALL Java_dev_stride_decoder_cuda_SimGpu_free0(JNIEnv* env, jclass, jlong address) {
    using namespace stride_sim;
    auto it = allocations.find(static_cast<std::uintptr_t>(address));
    if (it == allocations.end()) {
        throw_java(env, "free of an address that is not an allocation");
        return;
    }
    std::free(reinterpret_cast<unsigned char*>(it->first) - GUARD);
    allocations.erase(it);
}

JNIEXPORT jlong JNICALL Java_dev_stride_decoder_cuda_SimGpu_allocatedBytes0(JNIEnv*, jclass) {
    jlong total = 0;
    for (const auto& entry : stride_sim::allocations) {
        total += static_cast<jlong>(entry.second);
    }
    return total;
}

JNIEXPORT void JNICALL Java_dev_stride_decoder_cuda_SimGpu_copyFromArray0(JNIEnv* env, jclass, jlong dst,
                                                                         jobject array, jlong bytes) {
    void* src = env->GetPrimitiveArrayCritical(static_cast<jarray>(array), nullptr);
    std::memcpy(reinterpret_cast<void*>(dst), src, static_cast<std::size_t>(bytes));
    env->ReleasePrimitiveArrayCritical(static_cast<jarray>(array), src, JNI_ABORT);
}

JNIEXPORT void JNICALL Java_dev_stride_decoder_cuda_SimGpu_copyToArray0(JNIEnv* env, jclass, jobject array,
                                                                       jlong src, jlong bytes) {
    void* dst = env->GetPrimitiveArrayCritical(static_cast<jarray>(array), nullptr);
    std::memcpy(dst, reinterpret_cast<const void*>(src), static_cast<std::size_t>(bytes));
    env->ReleasePrimitiveArrayCritical(static_cast<jarray>(array), dst, 0);
}

JNIEXPORT void JNICALL Java_dev_stride_decoder_cuda_SimGpu_copyFromBuffer0(JNIEnv* env, jclass, jlong dst,
                                                                          jobject buffer, jlong offset, jlong bytes) {
    auto* src = static_cast<const char*>(env->GetDirectBufferAddress(buffer));
    std::memcpy(reinterpret_cast<void*>(dst), src + offset, static_cast<std::size_t>(bytes));
}

JNIEXPORT void JNICALL Java_dev_stride_decoder_cuda_SimGpu_launch0(JNIEnv* env, jclass, jstring kernel,
                                                                  jstring signature, jint grid_x, jint grid_y,
                                                                  jint block, jint shared_bytes, jlongArray args) {
    const char* name = env->GetStringUTFChars(kernel, nullptr);
    const char* kinds = env->GetStringUTFChars(signature, nullptr);
    const std::string kernel_name(name);
    const std::string kernel_signature(kinds);
    env->ReleaseStringUTFChars(kernel, name);
    env->ReleaseStringUTFChars(signature, kinds);
    std::vector<std::uint64_t> values(env->GetArrayLength(args));
    env->GetLongArrayRegion(args, 0, static_cast<jsize>(values.size()), reinterpret_cast<jlong*>(values.data()));
    try {
        stride_sim::launch(kernel_name, kernel_signature, grid_x, grid_y, block, shared_bytes, values.data());
        stride_sim::check_guards(kernel_name);
    } catch (const std::exception& e) {
        stride_sim::throw_java(env, e.what());
    }
}

}  // extern "C"
