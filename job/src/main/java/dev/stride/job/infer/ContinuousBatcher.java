package dev.stride.job.infer;

import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.job.cluster.PartitionMeter;
import dev.stride.job.io.OutputRows;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.sql.Row;

/**
 * Streams a partition's rows through one {@link BatchDecoder}: up to its capacity in flight, each finished sequence
 * replaced by the next row. Output rows come out in finishing order.
 */
final class ContinuousBatcher implements Iterator<Row> {

    private final Iterator<Row> input;
    private final BatchDecoder decoder;
    private final RowRequests requests;
    private final OutputRows outputs;
    private final PartitionMeter meter;
    private final Runnable onExhausted;
    private final Map<String, Row> submitted = new HashMap<>();
    private final ArrayDeque<Row> ready = new ArrayDeque<>();
    private long admitted;
    private boolean exhausted;

    ContinuousBatcher(Iterator<Row> input, BatchDecoder decoder, RowRequests requests, OutputRows outputs,
                      PartitionMeter meter, Runnable onExhausted) {
        this.input = input;
        this.decoder = decoder;
        this.requests = requests;
        this.outputs = outputs;
        this.meter = meter;
        this.onExhausted = onExhausted;
    }

    @Override
    public boolean hasNext() {
        while (ready.isEmpty() && (input.hasNext() || !submitted.isEmpty())) {
            admit();
            if (decoder.inFlight() > 0) {
                decoder.step();
            }
            if (collectFinished() == 0 && decoder.inFlight() == 0 && !submitted.isEmpty()) {
                throw new IllegalStateException("the decoder dropped " + submitted.size() + " requests");
            }
        }
        if (ready.isEmpty() && !exhausted) {
            exhausted = true;
            onExhausted.run();
        }
        return !ready.isEmpty();
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }

    /** Fills free decoder slots; rows that cannot be generated become error rows right away. */
    private void admit() {
        while (decoder.inFlight() < decoder.capacity() && ready.size() < decoder.capacity() && input.hasNext()) {
            Row row = input.next();
            String requestId = Long.toString(admitted++);
            RowRequests.Prepared prepared = requests.prepare(row, requestId);
            if (prepared.request() == null) {
                emit(outputs.failed(row, prepared.error(), prepared.promptTokens()), 0, true);
            } else {
                submitted.put(requestId, row);
                decoder.submit(prepared.request());
            }
        }
    }

    private int collectFinished() {
        int count = 0;
        for (GenerationResult result : decoder.drainFinished()) {
            emit(outputs.completed(submitted.remove(result.id()), result), result.completionTokens(), !result.ok());
            count++;
        }
        return count;
    }

    private void emit(Row row, int completionTokens, boolean failed) {
        ready.add(row);
        meter.row(completionTokens, failed);
    }
}
