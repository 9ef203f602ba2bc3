/**
 * The CUDA backend: {@link dev.stride.decoder.cuda.CudaForward} runs the same forward pass as the CPU
 * {@link dev.stride.decoder.forward.Transformer} with the project's own kernels (src/main/cuda, packaged as a fatbin)
 * through the CUDA driver API, and {@link dev.stride.decoder.cuda.DeviceSelection} picks the backend for
 * {@code --device cpu|auto|cuda[:N]}.
 */
package dev.stride.decoder.cuda;
