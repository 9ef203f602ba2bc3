package dev.stride.decoder.cli;

import picocli.CommandLine.Option;

/** The {@code --weights} option: how a command holds the model's weights (and its heads'). */
final class WeightsOption {

    @Option(names = "--weights", paramLabel = "LAYOUT",
            description = "auto, packed, streamed, q8 (8-bit weights quantized at load: half the bytes of BF16, other"
                    + " logits) or q8-keep-head (q8 with the output projection and the heads at full precision)."
                    + " Default: -Dstride.weights, else auto.")
    String choice;
}
