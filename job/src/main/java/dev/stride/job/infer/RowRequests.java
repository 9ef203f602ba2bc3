package dev.stride.job.infer;

import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.decoder.tokenizer.ChatMessage;
import dev.stride.decoder.tokenizer.StrideTokenizer;
import dev.stride.job.config.JobConfig;
import dev.stride.job.io.ErrorKind;
import dev.stride.job.io.JobSchema;
import dev.stride.job.io.RowLayout;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/** Turns a work row into a generation request, or into the reason it cannot be generated. */
final class RowRequests {

    /** A request ready to submit, or the error that replaces it (with the prompt tokens counted so far). */
    record Prepared(GenerationRequest request, String error, int promptTokens) {

        static Prepared failed(ErrorKind kind, String message, int promptTokens) {
            return new Prepared(null, kind.describe(message), promptTokens);
        }
    }

    private final JobConfig config;
    private final RowLayout layout;
    private final StrideTokenizer tokenizer;
    private final int contextLength;

    RowRequests(JobConfig config, RowLayout layout, StrideTokenizer tokenizer, int contextLength) {
        this.config = config;
        this.layout = layout;
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
    }

    Prepared prepare(Row row, String requestId) {
        if (row.isNullAt(0)) {
            String idColumn = config.idColumn() == null ? JobSchema.ID : config.idColumn();
            return Prepared.failed(ErrorKind.MISSING_ID, "id column '" + idColumn + "' is null", 0);
        }
        List<ChatMessage> messages;
        try {
            messages = config.chat() ? chatMessages(row) : null;
        } catch (IllegalArgumentException e) {
            return Prepared.failed(ErrorKind.CHAT_TEMPLATE, e.getMessage(), 0);
        }
        if (messages != null && messages.isEmpty()) {
            return Prepared.failed(ErrorKind.EMPTY_PROMPT, "messages is empty", 0);
        }
        String prompt = row.getString(layout.prompt());
        if (messages == null && (prompt == null || prompt.isEmpty())) {
            return Prepared.failed(ErrorKind.EMPTY_PROMPT, prompt == null ? "prompt is null" : "prompt is empty", 0);
        }

        int maxNewTokens;
        SamplingParams sampling;
        List<String> stops;
        int logprobs;
        try {
            maxNewTokens = intValue(row, layout.maxNewTokens(), config.maxNewTokens(), JobSchema.MAX_NEW_TOKENS);
            if (maxNewTokens <= 0) {
                throw new IllegalArgumentException("max_new_tokens must be > 0, got " + maxNewTokens);
            }
            long seed = layout.seed() >= 0 && !row.isNullAt(layout.seed())
                    ? longValue(row, layout.seed(), JobSchema.SEED)
                    : RowSeeds.derive(config.seed(), row.getString(0));
            sampling = new SamplingParams(
                    floatValue(row, layout.temperature(), config.temperature(), JobSchema.TEMPERATURE),
                    intValue(row, layout.topK(), config.topK(), JobSchema.TOP_K),
                    floatValue(row, layout.topP(), config.topP(), JobSchema.TOP_P), seed);
            stops = stopStrings(row);
            logprobs = intValue(row, layout.logprobs(), config.logprobs(), JobSchema.LOGPROBS);
            GenerationRequest.checkLogprobs(logprobs);
        } catch (IllegalArgumentException e) {
            return Prepared.failed(ErrorKind.INVALID_OVERRIDE, e.getMessage(), 0);
        }

        int[] promptIds;
        try {
            if (messages != null) {
                promptIds = tokenizer.encodeChat(messages);
            } else if (config.chat()) {
                promptIds = tokenizer.encodeChat(List.of(new ChatMessage("user", prompt)));
            } else {
                promptIds = tokenizer.encode(prompt);
            }
        } catch (RuntimeException e) {
            return Prepared.failed(config.chat() ? ErrorKind.CHAT_TEMPLATE : ErrorKind.TOKENIZE_FAILED,
                    String.valueOf(e.getMessage()), 0);
        }
        if (promptIds.length == 0) {
            return Prepared.failed(ErrorKind.EMPTY_PROMPT, "prompt has no tokens", 0);
        }
        if (promptIds.length >= contextLength) {
            return Prepared.failed(ErrorKind.PROMPT_TOO_LONG, "prompt has " + promptIds.length
                    + " tokens; the model's context holds " + contextLength, promptIds.length);
        }
        return new Prepared(new GenerationRequest(requestId, promptIds, maxNewTokens, sampling, stops, false,
                logprobs), null, promptIds.length);
    }

    private List<ChatMessage> chatMessages(Row row) {
        if (layout.messages() < 0 || row.isNullAt(layout.messages())) {
            return null;
        }
        List<Row> rows = row.getList(layout.messages());
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i) == null) {
                throw new IllegalArgumentException("messages[" + i + "] is null");
            }
            messages.add(new ChatMessage(rows.get(i).getAs("role"), rows.get(i).getAs("content")));
        }
        return messages;
    }

    private List<String> stopStrings(Row row) {
        if (layout.stop() < 0 || row.isNullAt(layout.stop())) {
            return config.stop();
        }
        List<String> stops = row.getList(layout.stop());
        if (stops.stream().anyMatch(stop -> stop == null || stop.isEmpty())) {
            throw new IllegalArgumentException("stop strings must be non-empty, got " + stops);
        }
        return stops;
    }

    private static int intValue(Row row, int index, int fallback, String name) {
        if (index < 0 || row.isNullAt(index)) {
            return fallback;
        }
        long value = longValue(row, index, name);
        if (value != (int) value) {
            throw new IllegalArgumentException(name + " is out of range, got " + value);
        }
        return (int) value;
    }

    /**
     * An integer column's value, of any width; a decimal's (whole numbers only, JobSchema) exactly, as longValue
     * took its low 64 bits: 2^64 + 5 new tokens became 5.
     */
    private static long longValue(Row row, int index, String name) {
        Object value = row.get(index);
        if (value instanceof BigDecimal decimal) {
            try {
                return decimal.longValueExact();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(name + " is out of range, got " + decimal.toPlainString());
            }
        }
        return ((Number) value).longValue();
    }

    // A decimal is rounded to the double nearest to it, the value a double column would hold, then narrowed alike.
    private static float floatValue(Row row, int index, float fallback, String name) {
        return index < 0 || row.isNullAt(index) ? fallback
                : SamplingParams.narrowed(name, ((Number) row.get(index)).doubleValue());
    }
}
