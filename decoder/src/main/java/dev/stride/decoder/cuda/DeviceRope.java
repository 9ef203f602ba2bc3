package dev.stride.decoder.cuda;

import dev.stride.decoder.forward.RopeTable;
import dev.stride.decoder.model.ModelConfig;

/**
 * The rotary cos/sin tables in device memory for the positions passes have reached, grown on demand like the CPU's
 * {@link RopeTable}: a table of every position a model declares could be gigabytes (max_position_embeddings of a
 * million and more, times head_dim / 2 floats each), or beyond an int's reach.
 */
final class DeviceRope implements AutoCloseable {

    /** Positions of the first tables: a conversation's worth, so early passes do not regrow them. */
    private static final int MIN_POSITIONS = 4096;

    private final Gpu gpu;
    private final RopeTable table;
    private final int limit;
    private final DeviceBuffer cos;
    private final DeviceBuffer sin;
    private long cosAddress;
    private long sinAddress;
    private int positions;

    DeviceRope(Gpu gpu, ModelConfig config) {
        this.gpu = gpu;
        this.table = new RopeTable(config);
        this.limit = config.maxPositions();
        this.cos = new DeviceBuffer(gpu);
        this.sin = new DeviceBuffer(gpu);
    }

    /** Makes positions [0, upTo) available, for {@code upTo} at most the model's positions. */
    void ensure(int upTo) {
        if (upTo <= positions) {
            return;
        }
        int n = (int) Math.min(limit, Math.max(upTo, Math.max(MIN_POSITIONS, 2L * positions)));
        float[][] values = table.table(n);
        positions = 0; // growing drops the old tables: nothing is valid until both are uploaded
        cosAddress = cos.ensure(4L * values[0].length);
        sinAddress = sin.ensure(4L * values[1].length);
        gpu.upload(cosAddress, values[0], values[0].length);
        gpu.upload(sinAddress, values[1], values[1].length);
        positions = n;
    }

    /** Cosines, (position, headDim / 2), valid until the next {@link #ensure} that grows them. */
    long cos() {
        return cosAddress;
    }

    long sin() {
        return sinAddress;
    }

    @Override
    public void close() {
        cos.close();
        sin.close();
    }
}
