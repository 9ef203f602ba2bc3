package dev.stride.decoder.model;

import dev.stride.decoder.tensor.WeightMatrix;

/**
 * One transformer block's weights. q/k/v and gate/up are stacked so each runs as one matmul.
 *
 * @param attnNorm (hidden)
 * @param qkv (qDim + 2 * kvDim, hidden): q rows, then k rows, then v rows
 * @param qkvBias (qDim + 2 * kvDim), or null when the architecture has none
 * @param output (hidden, qDim)
 * @param ffnNorm (hidden)
 * @param gateUp (2 * intermediate, hidden): gate rows, then up rows
 * @param down (hidden, intermediate)
 */
public record LayerWeights(float[] attnNorm, WeightMatrix qkv, float[] qkvBias, WeightMatrix output,
                           float[] ffnNorm, WeightMatrix gateUp, WeightMatrix down) {
}
