/**
 * Hugging Face safetensors files: a memory-mapped, validating reader ({@link TensorStore}) for single and sharded
 * checkpoints, a writer, and the half-precision conversions both need.
 */
package dev.stride.decoder.safetensors;
