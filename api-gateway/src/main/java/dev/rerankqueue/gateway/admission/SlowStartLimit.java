package dev.rerankqueue.gateway.admission;

import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.AbstractLimit;
import java.util.concurrent.TimeUnit;

/**
 * The adaptive in-flight limit of {@link SubmissionLimit}, one update per window (a second) from
 * that window's mean latency: additive increase and multiplicative decrease as Netflix's {@code
 * AIMDLimit} does it, after a slow start when {@code initial} is below the maximum. A gateway that
 * has just started runs its first accepts on code the JIT has not compiled yet: a first wave of the
 * maximum is answered up to seconds late (on 16 cores every one of the first 512 submissions of a
 * flood came later than 1 s). Started lower, it doubles its limit after each window whose accepts
 * met the target while at least half of the limit was in use, until a window misses the target (the
 * limit then shrinks by the backoff ratio and grows by one a window from there on: Netflix's {@code
 * AIMDLimit} takes over from the limit reached) or the maximum is reached. A window that misses the
 * target while the limit is still at {@code initial} holds it there: those are the cold seconds,
 * which say nothing of the warm gateway.
 */
final class SlowStartLimit extends AbstractLimit {

    private final int initial;
    private final int min;
    private final int max;
    private final double backoff;
    private final long targetNanos;

    /**
     * The library's AIMD rules, which take over once the slow start ends (at once when starting at
     * the maximum); null while the limit still doubles.
     */
    private AIMDLimit aimd;

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
        if (this.initial >= max) {
            aimd = aimdFrom(max);
        }
    }

    private AIMDLimit aimdFrom(int limit) {
        return AIMDLimit.newBuilder()
                .initialLimit(limit)
                .minLimit(min)
                .maxLimit(max)
                .backoffRatio(backoff)
                .timeout(targetNanos, TimeUnit.NANOSECONDS)
                .build();
    }

    @Override
    protected int _update(long startTime, long rtt, int inflight, boolean didDrop) {
        int limit = getLimit();
        if (aimd == null) {
            boolean missed = didDrop || rtt > targetNanos;
            if (!missed) {
                if (inflight * 2 >= limit) {
                    limit = Math.min(max, limit * 2);
                    if (limit == max) {
                        aimd = aimdFrom(max);
                    }
                }
                return limit;
            }
            if (limit <= initial) {
                return limit; // still cold: hold
            }
            aimd = aimdFrom(limit); // the slow second itself backs off by AIMD's rule
        }
        aimd.onSample(startTime, rtt, inflight, didDrop);
        return aimd.getLimit();
    }

    /** Whether the limit still doubles after each window that met the target. */
    synchronized boolean slowStarting() {
        return aimd == null;
    }

    @Override
    public String toString() {
        return "SlowStartLimit[limit=" + getLimit() + ", slowStart=" + (aimd == null) + "]";
    }
}
