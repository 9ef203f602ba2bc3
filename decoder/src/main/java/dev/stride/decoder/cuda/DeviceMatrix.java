package dev.stride.decoder.cuda;

import dev.stride.decoder.safetensors.DType;

/** A row-major (rows, cols) matrix in device memory, in its stored dtype. */
record DeviceMatrix(long address, int rows, int cols, DType dtype) {
}
