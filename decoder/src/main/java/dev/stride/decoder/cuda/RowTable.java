package dev.stride.decoder.cuda;

/**
 * Device addresses of one pass's per-row arrays (int32 unless noted), as {@link PassRows} uploads them.
 *
 * @param count rows in the pass
 * @param cacheBase int64 address of each row's KV cache
 * @param first first visible prefix slot (later than 0 under a sliding window)
 * @param prefixCount visible prefix slots from {@code first}
 * @param extraBegin index into {@code extras} of the first visible extra slot
 * @param extraCount visible extra slots
 * @param logitRows the rows that want logits, in order
 */
record RowTable(int count, long tokens, long positions, long slots, long capacity, long cacheBase, long first,
                long prefixCount, long extraBegin, long extraCount, long extras, long logitRows) {
}
