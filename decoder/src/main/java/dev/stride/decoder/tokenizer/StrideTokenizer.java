package dev.stride.decoder.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A Hugging Face tokenizer loaded from a model directory, with transformers' rules for special tokens and chat
 * templates. The native tokenizer is thread-safe, and so is this class, {@link #close()} included: close waits for
 * the calls in progress, and later calls fail with an {@link IllegalStateException}.
 */
public final class StrideTokenizer implements AutoCloseable {

    static {
        // DJL reports usage to AWS when it runs on EC2; an inference engine must not call out on its own.
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final Path modelDir;
    /**
     * Held shared by every native call and exclusively by close: freed under a call in another thread (an engine
     * closed by a shutdown hook while a task still encodes), the native tokenizer crashed the JVM (SIGSEGV).
     */
    private final ReentrantReadWriteLock nativeUse = new ReentrantReadWriteLock();
    private boolean closed; // guarded by nativeUse
    private final SpecialTokens special;
    private final Optional<ChatTemplate> chatTemplate;
    private final Optional<String> bosToken;
    private final Optional<String> eosToken;
    private final int vocabSize;

    private StrideTokenizer(HuggingFaceTokenizer tokenizer, SpecialTokens special, ModelFiles files) {
        this.tokenizer = tokenizer;
        this.modelDir = files.dir;
        this.special = special;
        this.chatTemplate = ChatTemplate.from(files.chatTemplateFile, files.config);
        this.bosToken = files.configToken("bos_token");
        this.eosToken = files.configToken("eos_token");
        this.vocabSize = files.vocabSize();
    }

    /**
     * Loads tokenizer.json plus the optional tokenizer_config.json and generation_config.json from a Hugging Face
     * model directory.
     *
     * @throws TokenizerException naming the file when tokenizer.json is missing or a file is not valid
     */
    public static StrideTokenizer load(Path modelDir) {
        ModelFiles files = ModelFiles.read(modelDir);
        SpecialTokens special = SpecialTokens.from(files); // before the native tokenizer: nothing to close on error
        // DJL truncates and pads to 512 tokens by default; prompts must reach the model whole.
        Map<String, String> options = Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(files.tokenizerText.getBytes(StandardCharsets.UTF_8)), options);
        } catch (IOException | RuntimeException e) {
            throw new TokenizerException(
                    "cannot load " + modelDir.resolve(ModelFiles.TOKENIZER) + ": " + e.getMessage(), e);
        }
        return new StrideTokenizer(tokenizer, special, files);
    }

    /**
     * Encodes a prompt as transformers does for generation: the tokenizer's post-processor adds its special
     * tokens, and BOS is prepended when tokenizer_config.json sets add_bos_token and it is not there yet.
     */
    public int[] encode(String text) {
        int[] ids = encode(text, true);
        OptionalInt bos = special.bosId();
        if (special.addBos() && bos.isPresent() && (ids.length == 0 || ids[0] != bos.getAsInt())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = bos.getAsInt();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    /** Encodes text that already carries its special tokens, such as a rendered chat prompt; adds none. */
    public int[] encodeRaw(String text) {
        return encode(text, false);
    }

    /** Decodes ids to text, skipping special tokens. */
    public String decode(int[] ids) {
        return decodeVerbatim(Arrays.stream(ids).filter(id -> !special.isSpecial(id)).toArray());
    }

    /** Ids that end generation; empty when the model declares none. */
    public Set<Integer> eosIds() {
        return special.eosIds();
    }

    public OptionalInt bosId() {
        return special.bosId();
    }

    /** Vocabulary size including added tokens. */
    public int vocabSize() {
        return vocabSize;
    }

    public boolean hasChatTemplate() {
        return chatTemplate.isPresent();
    }

    /** Renders the chat template for the messages, with the generation prompt, and encodes the result. */
    public int[] encodeChat(List<ChatMessage> messages) {
        ChatTemplate template = chatTemplate.orElseThrow(() -> new TokenizerException(
                "model has no chat_template in " + ModelFiles.TOKENIZER_CONFIG
                        + " (or, for a list of templates, none named \"default\")"));
        String prompt = template.render(messages, bosToken, eosToken);
        int[] ids = encodeRaw(prompt);
        OptionalInt bos = special.bosId();
        boolean templateWroteBos = bos.isPresent() && ids.length > 0 && ids[0] == bos.getAsInt();
        // Templates that do not write BOS themselves rely on the tokenizer adding it.
        return templateWroteBos || bos.isEmpty() ? ids : encode(prompt);
    }

    /** A detokenizer for ids generated after the prompt; the prompt's last ids give it context. */
    public IncrementalDetokenizer newDetokenizer(int[] promptIds) {
        return new IncrementalDetokenizer(promptIds, this::decodeVerbatim, special::isSpecial);
    }

    @Override
    public void close() {
        Lock exclusive = nativeUse.writeLock();
        exclusive.lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            exclusive.unlock();
        }
    }

    /** The shared hold on the native tokenizer, for one call; to be unlocked after it. */
    private Lock open() {
        Lock shared = nativeUse.readLock();
        shared.lock();
        if (closed) {
            shared.unlock();
            throw new IllegalStateException("the tokenizer of " + modelDir + " is closed");
        }
        return shared;
    }

    /**
     * Asks the native tokenizer for the ids alone. DJL's {@code encode} builds a whole {@code Encoding}: seven more
     * native calls for tokens, offsets and masks, with a Java object per token, that nothing here reads (4x the
     * time of a short prompt's encoding, paid by every row of a job).
     */
    private int[] encode(String text, boolean addSpecialTokens) {
        checkWellFormed(text);
        long[] ids;
        Lock open = open();
        try {
            long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, addSpecialTokens);
            try {
                ids = TokenizersLibrary.LIB.getTokenIds(encoding);
            } finally {
                TokenizersLibrary.LIB.deleteEncoding(encoding);
            }
        } finally {
            open.unlock();
        }
        int[] narrowed = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            narrowed[i] = Math.toIntExact(ids[i]);
        }
        return narrowed;
    }

    /**
     * Refuses half of a surrogate pair standing alone (JSON input may write "\\ud83d"): it is no Unicode text, and
     * the native tokenizer, given Java's modified UTF-8, turned it into three U+FFFD, a prompt other than the one
     * given. transformers refuses such text too.
     */
    private static void checkWellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new TokenizerException(String.format(
                        "text has an unpaired surrogate U+%04X at index %d: not valid Unicode", (int) c, i));
            }
        }
    }

    private String decodeVerbatim(int[] ids) {
        long[] wide = Arrays.stream(ids).asLongStream().toArray();
        Lock open = open();
        try {
            return tokenizer.decode(wide, false);
        } finally {
            open.unlock();
        }
    }
}
