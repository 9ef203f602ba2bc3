package dev.stride.decoder.model;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.tensor.WeightMatrix;

/**
 * All weights of a model.
 *
 * @param embedding (vocab, hidden)
 * @param finalNorm (hidden)
 * @param lmHead (vocab, hidden); the embedding itself when tied
 * @param dtype stored dtype of the large matrices
 */
public record ModelWeights(WeightMatrix embedding, LayerWeights[] layers, float[] finalNorm, WeightMatrix lmHead,
                           DType dtype) {

    /** Bytes of weights one decode pass reads (the embedding is read a row at a time unless tied). */
    public long bytesPerPass() {
        long bytes = lmHead.byteSize();
        for (LayerWeights layer : layers) {
            bytes += layer.qkv().byteSize() + layer.output().byteSize() + layer.gateUp().byteSize()
                    + layer.down().byteSize();
        }
        return bytes;
    }

    /** Multiply-adds of the matrices one row of a pass goes through: the same matrices as {@link #bytesPerPass}. */
    public long multiplyAddsPerRow() {
        long macs = (long) lmHead.rows() * lmHead.cols();
        for (LayerWeights layer : layers) {
            for (WeightMatrix m : new WeightMatrix[] {layer.qkv(), layer.output(), layer.gateUp(), layer.down()}) {
                macs += (long) m.rows() * m.cols();
            }
        }
        return macs;
    }
}
