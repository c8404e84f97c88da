package dev.rerankqueue.worker.scoring;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stops calling a model server that keeps failing: after {@code failures} retryable failures in a
 * row it opens for {@code open}, during which calls fail at once (the batch backs off and retries
 * instead of waiting out a timeout per call) and readiness says not ready; then the next call is
 * tried again. A success closes it; a refused input (the model's answer, not its failure) does not
 * count.
 */
final class CircuitBreaker {

    private final int failures;
    private final Duration open;
    private final AtomicInteger consecutive = new AtomicInteger();
    private final AtomicLong openUntil = new AtomicLong();

    CircuitBreaker(int failures, Duration open) {
        this.failures = Math.max(1, failures);
        this.open = open;
    }

    /** Milliseconds it stays open from {@code nowMillis}; 0 when calls may go. */
    long openFor(long nowMillis) {
        return Math.max(0, openUntil.get() - nowMillis);
    }

    void succeeded() {
        consecutive.set(0);
    }

    /** Counts a failed call; true when this failure opened the breaker. */
    boolean failed(long nowMillis) {
        if (consecutive.incrementAndGet() < failures) {
            return false;
        }
        openUntil.set(nowMillis + open.toMillis());
        consecutive.set(0);
        return true;
    }

    int failures() {
        return failures;
    }

    Duration open() {
        return open;
    }
}
