package dev.rerankqueue.gateway.admission;

import com.netflix.concurrency.limits.limit.WindowedLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import dev.rerankqueue.gateway.problem.ApiException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * How many submissions one gateway handles at once. A fixed cap either queues seconds of work on a
 * small machine or throttles a large one, so the limit adapts (additive increase, multiplicative
 * decrease, Netflix's concurrency-limits, after an optional slow start: {@link SlowStartLimit}): a
 * gateway starts at an initial limit (by default the maximum) and, below the maximum, doubles it
 * after each second whose accepts met the target, until one misses it or the maximum is reached;
 * from then on, once a second, from the mean accept latency of that second, it grows by one while
 * accepts stay under the target and the gateway is using at least half of it, or shrinks by a
 * quarter when they are slower or one ended in a Kafka or Redis timeout, never below a minimum.
 * Judging by the second, not by the accept, lets a burst at an idle gateway be taken whole (whose
 * first accepts are slow while its JIT warms), and still brings a sustained flood down to the floor
 * within seconds; a lower start keeps a gateway that has just started from taking a first wave it
 * would answer seconds late. A submission over the limit is refused at once (503 {@code
 * overloaded}), so on a saturated gateway the ones it takes stay fast and the rest learn at once to
 * come back, instead of every caller waiting seconds. A target of zero turns adaptation off: the
 * limit is then the configured maximum.
 */
final class SubmissionLimit {

    /** A submission holding a place under the limit. */
    interface Slot {
        /**
         * The submission ended: accepted ({@code accepted}), or refused or failed with {@code
         * failure}.
         */
        void release(boolean accepted, Throwable failure);
    }

    /** Refusals that mean a dependency did not answer in time. */
    private static final Set<String> TIMED_OUT =
            Set.of("queue-unavailable", "store-unavailable", "overloaded");

    private final SimpleLimiter<Void> limiter;
    private final WindowedLimit limit;

    /** Share of the limit one tenant may hold; 1 or more: no share. */
    private final double tenantShare;

    /** Places each tenant holds now. */
    private final TenantHoldings heldBy = new TenantHoldings();

    /** Shrink per slow second: from 512 to a floor of 64 in about 8 s of sustained overload. */
    private static final double BACKOFF = 0.75;

    /**
     * @param max the most submissions at once
     * @param initial the limit a gateway starts with, doubled after each second whose accepts met
     *     the target while it was at least half in use ({@link SlowStartLimit})
     * @param min never fewer at once: as many clients as this, each waiting for its answer, are
     *     never refused
     * @param target accept latency the limit adapts to; zero: a fixed limit of {@code max}
     * @param tenantShare the share of the limit one tenant may hold (at least one place); 1 or
     *     more: no share
     */
    SubmissionLimit(
            int max,
            int initial,
            int min,
            Duration target,
            double tenantShare,
            MeterRegistry metrics) {
        this.tenantShare = tenantShare <= 0 ? 1 : tenantShare;
        boolean adaptive = !target.isZero();
        this.limit =
                WindowedLimit.newBuilder()
                        .minWindowTime(1, TimeUnit.SECONDS)
                        .maxWindowTime(1, TimeUnit.SECONDS)
                        .build(
                                adaptive
                                        ? new SlowStartLimit(
                                                initial,
                                                Math.min(min, max),
                                                max,
                                                BACKOFF,
                                                target.toNanos())
                                        : new SlowStartLimit(
                                                max, max, max, BACKOFF, Long.MAX_VALUE));
        this.limiter = SimpleLimiter.newBuilder().named("gateway-submissions").limit(limit).build();
        Gauge.builder("rerank.admission.submissions.limit", limit, WindowedLimit::getLimit)
                .description(
                        "Submissions this gateway handles at once now (adapted to the accept latency target)")
                .register(metrics);
        Gauge.builder("rerank.admission.submissions.in.flight", limiter, SimpleLimiter::getInflight)
                .description(
                        "Submissions this gateway is handling now, between admission and answer")
                .register(metrics);
    }

    int limit() {
        return limit.getLimit();
    }

    /** Whether every place under the current limit is taken. */
    boolean atLimit() {
        return limiter.getInflight() >= limit.getLimit();
    }

    /**
     * A place for one submission of {@code tenant}, or empty when the gateway is at its limit.
     *
     * @throws RefusedException 429 when the tenant already holds its share of the places
     */
    Optional<Slot> acquire(String tenant) {
        int share = tenantShare >= 1 ? 0 : Math.max(1, (int) (tenantShare * limit()));
        heldBy.take(
                tenant,
                1,
                share,
                held ->
                        RefusedException.quotaExceeded(
                                "rerank.admission.max-tenant-submission-share",
                                "tenant "
                                        + tenant
                                        + " has "
                                        + held
                                        + " submissions being accepted on this gateway at once,"
                                        + " its share of the gateway's current limit of "
                                        + limit()
                                        + "; wait for their answers before sending more",
                                Duration.ofSeconds(1)));
        Optional<Slot> slot = acquire();
        if (slot.isEmpty()) {
            heldBy.give(tenant, 1);
            return slot;
        }
        Slot inner = slot.get();
        return Optional.of(
                (accepted, failure) -> {
                    heldBy.give(tenant, 1);
                    inner.release(accepted, failure);
                });
    }

    /** A place for one submission, or empty when the gateway is at its limit. */
    private Optional<Slot> acquire() {
        return limiter.acquire(null)
                .map(
                        listener ->
                                (accepted, failure) -> {
                                    if (accepted) {
                                        listener.onSuccess(); // its latency feeds the limit
                                    } else if (failure != null && !(failure instanceof ApiException)
                                            || failure instanceof ApiException e
                                                    && TIMED_OUT.contains(e.slug())) {
                                        // Kafka or Redis did not answer in time: the gateway
                                        // is past what it can do
                                        listener.onDropped();
                                    } else {
                                        // refused by a rule (quota, backlog, storage) or
                                        // invalid: says nothing of the gateway's load
                                        listener.onIgnore();
                                    }
                                });
    }
}
