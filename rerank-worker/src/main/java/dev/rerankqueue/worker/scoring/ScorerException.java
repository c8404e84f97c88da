package dev.rerankqueue.worker.scoring;

/** A scorer call that failed; {@code retryable} says whether the same call may succeed later (5xx, timeout, breaker). */
public class ScorerException extends RuntimeException {

    private final boolean retryable;

    public ScorerException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }

    /** Failures that are not a {@code ScorerException} (I/O, timeouts, runtime errors of a model) are retried. */
    public static boolean retryable(Throwable t) {
        return !(t instanceof ScorerException e) || e.retryable();
    }
}
