package dev.stride.decoder.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.PromptRequests;
import dev.stride.decoder.engine.RequestException;
import dev.stride.decoder.engine.TextLines;
import dev.stride.decoder.engine.TokenLogprob;
import dev.stride.decoder.tokenizer.ChatMessage;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stride generate}: prompts in (flags or JSONL), one JSON object per prompt out. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate completions; one JSON object per prompt, in input order.")
public final class GenerateCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final class Prompts {
        @Option(names = "--prompt", description = "Prompt text (repeatable).")
        List<String> prompts;

        @Option(names = "--input", description = "JSONL file: {\"id\": ..., \"prompt\": ...} per line.")
        Path input;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompts prompts;

    @Mixin
    DecodingOptions decoding = new DecodingOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--output", description = "Write JSONL here instead of standard output.")
    Path output;

    @Option(names = "--chat", description = "Apply the model's chat template to each prompt.")
    boolean chat;

    /** One input line: its id and either the request or why it cannot run. */
    private record Job(String id, GenerationRequest request, String error) {
    }

    @Override
    public Integer call() throws IOException {
        sampling.validate();
        refuseOutputOntoInput();
        // Read before the model loads and before --output is opened, which empties it.
        List<String> lines = prompts.input == null ? null : TextLines.read(prompts.input);
        // The decoder is made before --output is opened: its options may still be refused.
        try (Engine engine = Engine.load(decoding.engineOptions());
             BatchDecoder decoder = engine.newDecoder(decoding.decoderOptions());
             Writer out = openOutput()) {
            List<Job> jobs = readJobs(engine, lines);
            Map<Integer, GenerationResult> results = decode(decoder, jobs);
            boolean allOk = true;
            for (int i = 0; i < jobs.size(); i++) {
                Job job = jobs.get(i);
                GenerationResult result = job.error() != null
                        ? GenerationResult.failed(job.id(), 0, job.error())
                        : results.get(i);
                allOk &= result.ok();
                out.write(JSON.writeValueAsString(ResultJson.of(result, job.id(), engine.weightLayout())));
                out.write('\n');
            }
            out.flush();
            return allOk ? 0 : 1;
        }
    }

    /** --output, or standard output, which belongs to the caller: closing the writer never closes it. */
    private Writer openOutput() {
        if (output == null) {
            return new PrintWriter(new OutputStreamWriter(new FilterOutputStream(System.out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush();
                }
            }, StandardCharsets.UTF_8));
        }
        try {
            return Files.newBufferedWriter(output, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--output " + output + ": no such directory "
                    + output.toAbsolutePath().getParent(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("--output " + output + ": cannot write: " + e, e);
        }
    }

    /** Opening --output truncates it before --input is read: the same file would lose its prompts. */
    private void refuseOutputOntoInput() throws IOException {
        if (output != null && prompts.input != null && Files.exists(output) && Files.exists(prompts.input)
                && Files.isSameFile(output, prompts.input)) {
            throw new IllegalArgumentException("--output " + output + " is the --input file " + prompts.input
                    + ": writing the results would erase the prompts; give another --output");
        }
    }

    /** Results by line index: ids come from the input and need not be unique. */
    private static Map<Integer, GenerationResult> decode(BatchDecoder decoder, List<Job> jobs) {
        Map<Integer, GenerationResult> results = new LinkedHashMap<>();
        for (int i = 0; i < jobs.size(); i++) {
            GenerationRequest r = jobs.get(i).request();
            if (r != null) {
                decoder.submit(r.withId(String.valueOf(i)));
            }
        }
        for (GenerationResult result : decoder.runToCompletion()) {
            results.put(Integer.valueOf(result.id()), result);
        }
        return results;
    }

    /** @param lines the --input file's lines, or null for --prompt texts */
    private List<Job> readJobs(Engine engine, List<String> lines) {
        List<Job> jobs = new ArrayList<>();
        if (prompts.prompts != null) {
            for (int i = 0; i < prompts.prompts.size(); i++) {
                jobs.add(job(engine, String.valueOf(i), prompts.prompts.get(i), null, null));
            }
            return jobs;
        }
        int index = 0;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) {
                continue;
            }
            String fallbackId = String.valueOf(index++);
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                jobs.add(new Job(fallbackId, null, "invalid_input: " + prompts.input + " line " + (n + 1)
                        + " is not JSON: " + e.getMessage()));
                continue;
            }
            if (node.hasNonNull("id") && !node.get("id").isValueNode()) {
                // asText() would make it "": a row nobody could match to its line
                jobs.add(new Job(fallbackId, null, "invalid_input: " + prompts.input + " line " + (n + 1)
                        + ": id must be a string or a number, got " + node.get("id")));
                continue;
            }
            String id = node.hasNonNull("id") ? node.get("id").asText() : fallbackId;
            String prompt;
            List<ChatMessage> messages;
            try {
                prompt = node.hasNonNull("prompt") ? text(node.get("prompt"), "prompt") : null;
                messages = messages(node);
            } catch (IllegalArgumentException e) {
                jobs.add(new Job(id, null, "invalid_input: " + prompts.input + " line " + (n + 1) + ": "
                        + e.getMessage()));
                continue;
            }
            jobs.add(job(engine, id, prompt, messages, node));
        }
        return jobs;
    }

    private Job job(Engine engine, String id, String prompt, List<ChatMessage> messages, JsonNode overrides) {
        try {
            SamplingOptions s = sampling.withOverrides(overrides);
            return new Job(id, PromptRequests.build(engine.tokenizer(), id, prompt, messages, chat,
                    s.maxNewTokens, s.temperature, s.topK, s.topP, s.seed, s.stop, s.logprobs), null);
        } catch (RequestException e) {
            return new Job(id, null, e.describe());
        }
    }

    /**
     * The line's chat messages, or null where it has none.
     *
     * @throws IllegalArgumentException naming the field that is not of its type: read leniently, a list of content
     *     parts or a null content became "" or "null", and the template rendered them as if they had been written
     */
    private static List<ChatMessage> messages(JsonNode node) {
        if (!node.hasNonNull("messages")) {
            return null;
        }
        JsonNode list = node.get("messages");
        if (!list.isArray()) {
            throw new IllegalArgumentException("messages must be a list of {\"role\", \"content\"}, got " + list);
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String field = "messages[" + i + "]";
            if (!m.isObject()) {
                throw new IllegalArgumentException(field + " must be an object {\"role\", \"content\"}, got " + m);
            }
            messages.add(new ChatMessage(text(m.get("role"), field + ".role"),
                    text(m.get("content"), field + ".content")));
        }
        return messages;
    }

    private static String text(JsonNode value, String field) {
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string, got " + (value == null ? "nothing" : value));
        }
        return value.asText();
    }

    /** The JSON shape of one result row. */
    static final class ResultJson {
        private ResultJson() {
        }

        /** @param weightLayout how the model's weights were held, e.g. {@code q8}: logits depend on it */
        static ObjectNode of(GenerationResult r, String id, String weightLayout) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", id);
            o.put("completion", r.completion());
            o.set("completion_ids", JSON.valueToTree(r.completionIds()));
            o.put("prompt_tokens", r.promptTokens());
            o.put("completion_tokens", r.completionTokens());
            o.put("finish_reason", r.finishReason() == null ? null : r.finishReason().wireName());
            o.put("forward_passes", r.forwardPasses());
            o.put("tokens_per_pass", r.tokensPerPass());
            o.set("accept_histogram", JSON.valueToTree(r.acceptHistogram()));
            o.put("tree_nodes", r.treeNodes());
            var acceptance = o.putArray("head_acceptance");
            for (int accepted : r.headAccepted()) {
                acceptance.add(r.decodePasses() == 0 ? 0.0 : (double) accepted / r.decodePasses());
            }
            o.put("decode_ms", r.decodeNanos() / 1e6);
            o.put("weight_layout", weightLayout);
            if (r.logprobs() != null) {
                var tokens = o.putArray("logprobs");
                for (TokenLogprob t : r.logprobs()) {
                    ObjectNode token = tokens.addObject().put("id", t.id()).put("logprob", t.logprob());
                    var top = token.putArray("top");
                    for (int i = 0; i < t.topIds().length; i++) {
                        top.addArray().add(t.topIds()[i]).add(t.topLogprobs()[i]);
                    }
                }
            }
            o.put("error", r.error());
            return o;
        }
    }

}
