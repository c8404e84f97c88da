package dev.rerankqueue.worker.scoring;

/**
 * A scorer call that failed; {@code retryable} says whether the same call may succeed later (5xx,
 * timeout, breaker), {@code inputRefused} that the model refused what it was sent (vLLM's 400 for a
 * prompt over its context): one pair of the call is at fault, not the model, so the call is split
 * until the refused pair stands alone.
 */
public class ScorerException extends RuntimeException {

    private final boolean retryable;
    private final boolean inputRefused;

    public ScorerException(String message, boolean retryable, Throwable cause) {
        this(message, retryable, false, cause);
    }

    private ScorerException(
            String message, boolean retryable, boolean inputRefused, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
        this.inputRefused = inputRefused;
    }

    /** The model refused this call's input; retrying the same call gives the same answer. */
    public static ScorerException inputRefused(String message) {
        return new ScorerException(message, false, true, null);
    }

    public boolean retryable() {
        return retryable;
    }

    public boolean inputRefused() {
        return inputRefused;
    }

    /**
     * Failures that are not a {@code ScorerException} (I/O, timeouts, runtime errors of a model)
     * are retried.
     */
    public static boolean retryable(Throwable t) {
        return !(t instanceof ScorerException e) || e.retryable();
    }

    /** Whether {@code t} is a model's refusal of the input it was sent. */
    public static boolean inputRefused(Throwable t) {
        return t instanceof ScorerException e && e.inputRefused();
    }
}
