package dev.stride.job.infer;

import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.job.cluster.PartitionMeter;
import dev.stride.job.io.OutputRows;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

/**
 * Streams a partition's rows through one {@link BatchDecoder}: up to its capacity in flight, each finished sequence
 * replaced by the next row. Output rows come out in input order, as from any map over a DataFrame (a sorted one stays
 * sorted): a finished row waits for the rows before it, so at most the rows that finish while the oldest one in
 * flight runs (max_new_tokens passes of the decoder's capacity) are held.
 *
 * <p>Rows are read and tokenized {@value #ROW_BATCH} at a time, and finished rows go to Spark in groups of as many,
 * because work interleaved one row at a time with forward passes ran cold: the passes evict the tokenizer's tables
 * and Spark's writer code from the caches, and a short prompt's encoding took 5x as long between passes as in a
 * loop of encodings.
 */
final class ContinuousBatcher implements Iterator<Row> {

    /** Rows prepared together, and the most finished rows held back before they go to Spark together. */
    static final int ROW_BATCH = 16;

    /** A row, its place in the partition, and its request, waiting for a free slot of the decoder or in flight. */
    private record Admission(long place, Row row, GenerationRequest request) {
    }

    private final Iterator<Row> input;
    private final BatchDecoder decoder;
    private final RowRequests requests;
    private final OutputRows outputs;
    private final PartitionMeter meter;
    private final Runnable onExhausted;
    /** The Spark task decoding the partition; null outside one. */
    private final TaskContext task = TaskContext.get();
    private final ArrayDeque<Admission> waiting = new ArrayDeque<>();
    private final Map<String, Admission> submitted = new HashMap<>();
    /** Output rows by their place, until every row before them is ready. */
    private final Map<Long, Row> held = new HashMap<>();
    private final ArrayDeque<Row> ready = new ArrayDeque<>();
    private long admitted;
    private long released;
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
        if (ready.isEmpty()) {
            while (ready.size() < ROW_BATCH && hasWork()) {
                if (task != null) {
                    // Spark marks a task it kills and waits for the task to look. The input looks, but it is read
                    // a batch at a time: a killed task went on generating the batch's waiting rows (minutes of a
                    // shared engine's passes, for long completions) before it stopped.
                    task.killTaskIfInterrupted();
                }
                admit();
                if (decoder.inFlight() > 0) {
                    decoder.step();
                }
                if (collectFinished() == 0 && decoder.inFlight() == 0 && !submitted.isEmpty()) {
                    throw new IllegalStateException("the decoder dropped " + submitted.size() + " requests");
                }
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

    private boolean hasWork() {
        return !waiting.isEmpty() || input.hasNext() || !submitted.isEmpty();
    }

    /** Fills free decoder slots, preparing the next batch of rows when none is waiting. */
    private void admit() {
        while (decoder.inFlight() < decoder.capacity() && ready.size() < ROW_BATCH) {
            if (waiting.isEmpty()) {
                prepareBatch();
            }
            Admission next = waiting.poll();
            if (next == null) {
                return;
            }
            submitted.put(next.request().id(), next);
            decoder.submit(next.request());
        }
    }

    /** Reads and tokenizes up to a batch of rows; rows that cannot be generated become error rows right away. */
    private void prepareBatch() {
        for (int i = 0; i < ROW_BATCH && input.hasNext(); i++) {
            Row row = input.next();
            long place = admitted++;
            RowRequests.Prepared prepared = requests.prepare(row, Long.toString(place));
            if (prepared.request() == null) {
                emit(place, outputs.failed(row, prepared.error(), prepared.promptTokens()), 0, true);
            } else {
                waiting.add(new Admission(place, row, prepared.request()));
            }
        }
    }

    private int collectFinished() {
        int count = 0;
        for (GenerationResult result : decoder.drainFinished()) {
            Admission admission = submitted.remove(result.id());
            emit(admission.place(), outputs.completed(admission.row(), result), result.completionTokens(),
                    !result.ok());
            count++;
        }
        return count;
    }

    /** Counts a finished row and hands it, with the held rows after it, to Spark once the rows before it are. */
    private void emit(long place, Row row, int completionTokens, boolean failed) {
        meter.row(completionTokens, failed);
        held.put(place, row);
        for (Row next = held.remove(released); next != null; next = held.remove(released)) {
            ready.add(next);
            released++;
        }
    }
}
