package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.admission.RefusedException;
import dev.rerankqueue.gateway.admission.TenantHoldings;
import dev.rerankqueue.gateway.config.GatewayConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Open event streams per tenant on this gateway instance, bounded by {@code
 * rerank.quotas.max-sse-connections}: each stream holds a connection and a subscription, so one
 * tenant must not be able to take them all.
 */
@ApplicationScoped
public class SseConnections {

    private final ConcurrentMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

    /**
     * Jobs followed by each tenant's open streams: one per job stream, a batch's jobs per batch.
     */
    private final TenantHoldings followed = new TenantHoldings();

    private final GatewayConfig config;

    public SseConnections(GatewayConfig config, MeterRegistry metrics) {
        this.config = config;
        Gauge.builder(
                        "rerank.sse.connections",
                        open,
                        m -> m.values().stream().mapToInt(AtomicInteger::get).sum())
                .description("Open job event streams")
                .register(metrics);
    }

    /**
     * Counts a new stream of {@code tenant} following one job, or fails with 429 when the tenant is
     * at a limit; close the lease when it ends.
     */
    public Runnable open(String tenant) {
        return open(tenant, 1);
    }

    /**
     * Counts a new stream of {@code tenant} that follows {@code jobs} jobs (a batch stream re-reads
     * each unfinished one), or fails with 429 when the tenant is at its limit of streams or of
     * followed jobs ({@code rerank.quotas.max-followed-jobs}; a stream larger than that opens when
     * the tenant follows nothing else); close the lease when it ends.
     */
    public Runnable open(String tenant, int jobs) {
        int max = config.quotas().maxSseConnections(tenant);
        long maxFollowed = config.quotas().maxFollowedJobs(tenant);
        AtomicInteger count = open.computeIfAbsent(tenant, t -> new AtomicInteger());
        int now = count.incrementAndGet();
        if (max > 0 && now > max) {
            count.decrementAndGet();
            throw RefusedException.quotaExceeded(
                    "rerank.quotas.max-sse-connections",
                    "tenant "
                            + tenant
                            + " has "
                            + max
                            + " event streams open on this gateway, the limit",
                    Duration.ofSeconds(1));
        }
        try {
            followed.take(
                    tenant,
                    jobs,
                    maxFollowed,
                    held ->
                            RefusedException.quotaExceeded(
                                    "rerank.quotas.max-followed-jobs",
                                    "tenant "
                                            + tenant
                                            + " follows "
                                            + held
                                            + " jobs in its event streams on this gateway and this"
                                            + " stream would follow "
                                            + jobs
                                            + "; the limit is "
                                            + maxFollowed
                                            + " (a batch stream counts each job of its batch)",
                                    Duration.ofSeconds(1)));
        } catch (RefusedException e) {
            count.decrementAndGet();
            throw e;
        }
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                count.decrementAndGet();
                followed.give(tenant, jobs);
            }
        };
    }

    /** Streams of {@code tenant} open now. */
    public int count(String tenant) {
        AtomicInteger c = open.get(tenant);
        return c == null ? 0 : c.get();
    }
}
