package dev.stride.job.report;

/** An input directory that is not a finished Stride run (missing, no summary, wrong columns). */
public final class ReportInputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ReportInputException(String message) {
        super(message);
    }

    public ReportInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
