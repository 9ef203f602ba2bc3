package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import java.util.stream.IntStream;

/**
 * A matrix quantized at load to 8 bits a weight, the Q8_0 scheme: each row is cut into blocks of {@link #BLOCK}
 * columns, and a block holds one scale s = max|w| / 127 and the integers q = round(w / s) (half away from zero,
 * within -127..127), so a weight reads back as q * s.
 *
 * <p>Scales are float16, as in Q8_0: two bytes per 32 weights instead of four (a pass reads 34 bytes per 32
 * weights, not 36), GGUF Q8_0 blocks map onto this layout bit for bit, and q * s is exact in float32 (7 + 11
 * significant bits), so the dequantized weight is one number whatever order a kernel multiplies in. The integers
 * are rounded against the stored (float16) scale, so the round trip error of a weight is at most s / 2.
 *
 * <p>Held in tiles of {@link #TILE} output rows ({@link #PANEL_GROUP} panels of {@link PackedMatrix#PANEL} rows),
 * each tile column by column: the integers of row r, column c at {@code ((r / TILE) * cols + c) * TILE + r % TILE},
 * the scale of block k at {@code ((r / TILE) * blocks + k) * TILE + r % TILE}; the last tile is padded with zero
 * rows. So a kernel sweeping one tile reads its integers as one stream, a column at a time (64 bytes a column on
 * AVX-512), and its scales as a second; in panel-major order the four panels a kernel sweeps lay apart, eight
 * streams a thread, and a one-row pass ran 1.5x slower (see Q8Kernels). Quantization is a pure function of the
 * stored values: the same bytes on every machine and run.
 */
public final class PackedQ8Matrix implements WeightMatrix {

    /** Columns per scale, as in Q8_0. */
    public static final int BLOCK = 32;
    /** Panels of a tile, which the kernels sweep together. */
    public static final int PANEL_GROUP = 4;
    /** Output rows of a tile. */
    public static final int TILE = PANEL_GROUP * PackedMatrix.PANEL;
    /** Largest weight whose scale float16 holds (65504 * 127). */
    private static final float MAX_ABS = 65504f * 127f;

    private final byte[] quants; // (tiles, cols, TILE), then READ_AHEAD bytes of padding
    private final short[] scales; // (tiles, blocks, TILE) float16 bits
    private final int rows;
    private final int cols;
    private final DType storedDtype;

    private PackedQ8Matrix(byte[] quants, short[] scales, int rows, int cols, DType storedDtype) {
        this.quants = quants;
        this.scales = scales;
        this.rows = rows;
        this.cols = cols;
        this.storedDtype = storedDtype;
    }

    /**
     * Quantizes {@code m} (any dtype, read through {@link WeightMatrix#loadRow}); tiles in parallel, each the same
     * bytes whichever thread makes it. A non-finite weight, or one beyond float16's scale range, is an error naming
     * its row and column.
     */
    public static PackedQ8Matrix quantize(WeightMatrix m) {
        int rows = m.rows();
        int cols = m.cols();
        int tiles = tiles(rows);
        int blocks = blocks(cols);
        byte[] quants = new byte[Math.addExact(Math.multiplyExact(Math.multiplyExact(tiles, cols), TILE), READ_AHEAD)];
        short[] scales = new short[Math.multiplyExact(Math.multiplyExact(tiles, blocks), TILE)];
        IntStream.range(0, tiles).parallel().forEach(tile -> {
            float[] row = new float[cols];
            byte[] q = new byte[BLOCK];
            for (int r = tile * TILE; r < Math.min(rows, (tile + 1) * TILE); r++) {
                m.loadRow(r, row);
                int quant0 = at(r, 0, cols);
                int scale0 = at(r, 0, blocks);
                for (int k = 0; k < blocks; k++) {
                    int from = k * BLOCK;
                    int to = Math.min(cols, from + BLOCK);
                    scales[scale0 + k * TILE] = quantizeBlock(row, from, to, q, r);
                    for (int c = from; c < to; c++) {
                        quants[quant0 + c * TILE] = q[c - from];
                    }
                }
            }
        });
        return new PackedQ8Matrix(quants, scales, rows, cols, m.dtype());
    }

    /**
     * Quantizes w[from, to) into q[0, to - from) and returns the block's float16 scale: max|w| / 127 rounded to
     * float16, and each q = w / scale rounded half away from zero (clamped to 127 in magnitude, which rounding the
     * scale down can call for). An all-zero block has scale 0 and q = 0.
     */
    static short quantizeBlock(float[] w, int from, int to, byte[] q, int row) {
        float max = 0f;
        for (int c = from; c < to; c++) {
            float magnitude = Math.abs(w[c]);
            if (!(magnitude <= MAX_ABS)) { // also NaN
                throw new IllegalArgumentException("row " + row + " column " + c + ": weight " + w[c]
                        + " cannot be quantized to 8 bits (float16 scales hold |w| up to " + MAX_ABS + ")");
            }
            max = Math.max(max, magnitude);
        }
        short scaleBits = HalfFloats.f32ToF16(max / 127f);
        double scale = HalfFloats.f16ToF32(scaleBits);
        double inverse = 1 / scale;
        for (int c = from; c < to; c++) {
            q[c - from] = scale == 0 ? 0 : (byte) roundHalfAway(w[c], scale, inverse);
        }
        return scaleBits;
    }

    /**
     * w / scale rounded to the nearest integer, halves away from zero, clamped to [-127, 127]: exactly, without a
     * division per weight. {@code inverse} gives a guess within one of the answer, and the guess is then checked
     * against the exact boundaries (k ± 1/2) * scale, which double holds exactly (float16 scales have 11 significant
     * bits), so a weight exactly halfway between two steps always goes away from zero.
     */
    static int roundHalfAway(float w, double scale, double inverse) {
        double magnitude = Math.abs((double) w);
        long k = (long) (magnitude * inverse + 0.5);
        if ((k + 0.5) * scale <= magnitude) {
            k++;
        } else if (k > 0 && (k - 0.5) * scale > magnitude) {
            k--;
        }
        int clamped = (int) Math.min(127, k);
        return w < 0 ? -clamped : clamped;
    }

    /**
     * Bytes past the last tile that a kernel may read: it touches the integers this far ahead of the column it works
     * on, so that the memory system fetches them early (see Q8Kernels); the values read there are never used.
     */
    public static final int READ_AHEAD = 1024;

    /** Where row r, column c of a tiled array {@code columns} wide lies: integers by column, scales by block. */
    private static int at(int row, int column, int columns) {
        return ((row / TILE) * columns + column) * TILE + row % TILE;
    }

    private static int tiles(int rows) {
        return (rows + TILE - 1) / TILE;
    }

    private static int blocks(int cols) {
        return (cols + BLOCK - 1) / BLOCK;
    }

    /** The 8-bit integers: row r, column c at {@code ((r / TILE) * cols + c) * TILE + r % TILE}. */
    public byte[] quants() {
        return quants;
    }

    /** The float16 scale bits: row r, block k at {@code ((r / TILE) * blockCount + k) * TILE + r % TILE}. */
    public short[] scales() {
        return scales;
    }

    /** Tiles held (the last one may end in zero padding). */
    public int tileCount() {
        return tiles(rows);
    }

    public int blockCount() {
        return blocks(cols);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** The dtype the weights were quantized from. */
    @Override
    public DType dtype() {
        return storedDtype;
    }

    /** Bytes a pass reads: one per weight plus two per block scale (with the padding rows and the read-ahead). */
    @Override
    public long byteSize() {
        return quants.length + (long) scales.length * Short.BYTES;
    }

    /** The scale of row {@code row}, block {@code block}, as float32. */
    public float scale(int row, int block) {
        return HalfFloats.f16ToF32(scales[at(row, block, blockCount())]);
    }

    /** The 8-bit integer of one weight. */
    public int quant(int row, int col) {
        return quants[at(row, col, cols)];
    }

    /** Dequantized values q * s (exact in float32). */
    @Override
    public void loadRow(int row, float[] dst, int offset) {
        for (int c = 0; c < cols; c++) {
            dst[offset + c] = get(row, c);
        }
    }

    @Override
    public float get(int row, int col) {
        return quant(row, col) * scale(row, col / BLOCK);
    }
}
