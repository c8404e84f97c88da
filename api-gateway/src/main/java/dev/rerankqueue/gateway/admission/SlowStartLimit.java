package dev.rerankqueue.gateway.admission;

import com.netflix.concurrency.limits.limit.AbstractLimit;

/**
 * The adaptive in-flight limit of {@link SubmissionLimit}, one update per window (a second) from
 * that window's mean latency: additive increase and multiplicative decrease as Netflix's {@code
 * AIMDLimit} does it, after a slow start when {@code initial} is below the maximum. A gateway that
 * has just started runs its first accepts on code the JIT has not compiled yet: a first wave of the
 * maximum is answered up to seconds late (on 16 cores every one of the first 512 submissions of a
 * flood came later than 1 s). Started lower, it doubles its limit after each window whose accepts
 * met the target while at least half of the limit was in use, until a window misses the target (the
 * limit then shrinks by the backoff ratio and grows by one a window from there on) or the maximum
 * is reached. A window that misses the target while the limit is still at {@code initial} holds it
 * there: those are the cold seconds, which say nothing of the warm gateway.
 */
final class SlowStartLimit extends AbstractLimit {

    private final int initial;
    private final int min;
    private final int max;
    private final double backoff;
    private final long targetNanos;

    /** Whether the limit still doubles after each window that met the target. */
    private boolean slowStart;

    /**
     * @param initial the limit a gateway starts with (clamped to {@code min}..{@code max}); the
     *     maximum: no slow start
     * @param min never below
     * @param max never above
     * @param backoff the share kept after a window that missed the target
     * @param targetNanos mean latency of a window that meets the target, at most
     */
    SlowStartLimit(int initial, int min, int max, double backoff, long targetNanos) {
        super(Math.max(min, Math.min(initial, max)));
        this.initial = getLimit();
        this.min = min;
        this.max = max;
        this.backoff = backoff;
        this.targetNanos = targetNanos;
        this.slowStart = this.initial < max;
    }

    @Override
    protected int _update(long startTime, long rtt, int inflight, boolean didDrop) {
        int limit = getLimit();
        boolean missed = didDrop || rtt > targetNanos;
        boolean used = inflight * 2 >= limit;
        if (slowStart && missed && limit <= initial) {
            return limit; // still cold: hold
        }
        if (missed) {
            slowStart = false;
            limit = (int) (limit * backoff);
        } else if (used) {
            limit = slowStart ? limit * 2 : limit + 1;
        }
        limit = Math.max(min, Math.min(max, limit));
        if (limit == max) {
            slowStart = false;
        }
        return limit;
    }

    /** Whether the limit still doubles after each window that met the target. */
    synchronized boolean slowStarting() {
        return slowStart;
    }

    @Override
    public String toString() {
        return "SlowStartLimit[limit=" + getLimit() + ", slowStart=" + slowStart + "]";
    }
}
