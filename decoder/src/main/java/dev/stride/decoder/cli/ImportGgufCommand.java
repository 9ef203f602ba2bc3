package dev.stride.decoder.cli;

import dev.stride.decoder.gguf.GgmlType;
import dev.stride.decoder.gguf.GgufImport;
import dev.stride.decoder.model.ModelConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stride import-gguf}: a Llama or Qwen2 GGUF file as a Hugging Face model directory ({@link GgufImport}). */
@Command(name = "import-gguf", mixinStandardHelpOptions = true,
        description = "Import a Llama or Qwen2 GGUF file (F32, F16, BF16, Q8_0 tensors) as a model directory.")
public final class ImportGgufCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The .gguf file.")
    Path gguf;

    @Option(names = "--out", required = true, description = "Directory to create (must be empty or absent).")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Copy tokenizer.json (and tokenizer_config.json, generation_config.json) from DIR instead"
                    + " of rebuilding them from the file's metadata (needed for SentencePiece vocabularies).")
    Path tokenizerDir;

    @Option(names = "--shard-mb", defaultValue = "2000",
            description = "Largest safetensors shard in MB (default: ${DEFAULT-VALUE}).")
    long shardMb;

    @Override
    public Integer call() {
        if (shardMb <= 0 || shardMb > 1_000_000_000L) {
            throw new UsageException("--shard-mb " + shardMb + ": expected 1 to 1000000000");
        }
        GgufImport.Result result = GgufImport.run(gguf, out, tokenizerDir, shardMb * 1_000_000L,
                (file, written, total) -> System.err.printf("wrote %s (%d/%d)%n", file, written, total));
        ModelConfig c = result.config();
        System.out.printf("imported %s into %s: %d layers, hidden %d, %d heads (%d kv), vocabulary %d; tensors %s;"
                        + " %.1f MB in %d safetensors file(s)%n", gguf.getFileName(), out, c.numLayers(),
                c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.vocabSize(), result.types(), result.bytes() / 1e6,
                result.shards());
        if (result.types().contains(GgmlType.Q8_0)) {
            System.out.printf("Q8_0 tensors were written as exact float32 values; the model loads as q8 (its default"
                    + " --weights), which holds them as the same 8-bit blocks again (%d block(s) whose largest |q| is"
                    + " not 127 requantize to other values)%n", result.q8BlocksNotAt127());
        }
        return 0;
    }
}
