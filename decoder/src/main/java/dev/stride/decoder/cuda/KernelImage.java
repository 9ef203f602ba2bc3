package dev.stride.decoder.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/** The fatbin of the project's kernels, packaged by build-fatbin.sh when the jar was built with nvcc. */
public final class KernelImage {

    public static final String RESOURCE = "/cuda/stride_kernels.fatbin";
    static final String MISSING = "no kernels in this build (the decoder jar was built without nvcc)";

    private KernelImage() {
    }

    /** The fatbin bytes, or empty when this build has no GPU kernels. */
    public static Optional<byte[]> load() {
        try (InputStream in = KernelImage.class.getResourceAsStream(RESOURCE)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
