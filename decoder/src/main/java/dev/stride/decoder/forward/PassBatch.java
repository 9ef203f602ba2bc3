package dev.stride.decoder.forward;

import java.util.Arrays;

/**
 * The rows of one forward pass. Each row is a token at a rotary position; its key and value go to a slot of its
 * sequence's cache, and it attends to the cache's slots [0, prefixSlots) followed by its extra slots (a tree node's
 * ancestors and itself) in that order. Keys are always visited in position order, so a row's attention is the
 * same arithmetic in a prefill, a plain step or a tree pass. Reused across passes: {@link #clear()} then add.
 */
public final class PassBatch {

    private int size;
    private int[] tokens = new int[16];
    private int[] positions = new int[16];
    private int[] slots = new int[16];
    private int[] prefixSlots = new int[16];
    private int[] extraStart = new int[17];
    private int[] extraSlots = new int[64];
    private boolean[] wantsLogits = new boolean[16];
    private KvCache[] caches = new KvCache[16];
    private int logitRows;

    public void clear() {
        size = 0;
        logitRows = 0;
        Arrays.fill(caches, null);
    }

    /** A row that sees every slot up to and including its own (prefill and plain decoding). */
    public int addCausal(KvCache cache, int token, int position, boolean logits) {
        return add(cache, token, position, position, position + 1, null, 0, logits);
    }

    /**
     * A general row.
     *
     * @param extra slots visible after the prefix, in position order, ending with {@code slot} itself (none where
     *     the prefix ends with it, as for a causal row)
     */
    public int add(KvCache cache, int token, int position, int slot, int prefix, int[] extra, int extraCount,
                   boolean logits) {
        if (slot < 0 || slot >= cache.capacity()) { // a GPU kernel would write another allocation's memory
            throw new IllegalStateException("slot " + slot + " is outside the cache's slots [0, " + cache.capacity()
                    + ")");
        }
        ensureRows(size + 1);
        int row = size++;
        tokens[row] = token;
        positions[row] = position;
        slots[row] = slot;
        prefixSlots[row] = prefix;
        caches[row] = cache;
        wantsLogits[row] = logits;
        if (logits) {
            logitRows++;
        }
        int start = extraStart[row];
        if (start + extraCount > extraSlots.length) {
            extraSlots = Arrays.copyOf(extraSlots, Math.max(2 * extraSlots.length, start + extraCount));
        }
        if (extraCount > 0) {
            System.arraycopy(extra, 0, extraSlots, start, extraCount);
        }
        extraStart[row + 1] = start + extraCount;
        return row;
    }

    private void ensureRows(int rows) {
        if (rows <= tokens.length) {
            return;
        }
        int n = Math.max(rows, 2 * tokens.length);
        tokens = Arrays.copyOf(tokens, n);
        positions = Arrays.copyOf(positions, n);
        slots = Arrays.copyOf(slots, n);
        prefixSlots = Arrays.copyOf(prefixSlots, n);
        extraStart = Arrays.copyOf(extraStart, n + 1);
        wantsLogits = Arrays.copyOf(wantsLogits, n);
        caches = Arrays.copyOf(caches, n);
    }

    public int size() {
        return size;
    }

    public int logitRows() {
        return logitRows;
    }

    public int token(int row) {
        return tokens[row];
    }

    public int position(int row) {
        return positions[row];
    }

    public int slot(int row) {
        return slots[row];
    }

    public int prefixSlots(int row) {
        return prefixSlots[row];
    }

    public int extraStart(int row) {
        return extraStart[row];
    }

    public int extraEnd(int row) {
        return extraStart[row + 1];
    }

    public int extraSlot(int index) {
        return extraSlots[index];
    }

    public boolean wantsLogits(int row) {
        return wantsLogits[row];
    }

    public KvCache cache(int row) {
        return caches[row];
    }
}
