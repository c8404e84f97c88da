package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.admission.RefusedException;
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
     * Counts a new stream of {@code tenant}, or fails with 429 when the tenant is at its limit;
     * close the lease when it ends.
     */
    public Runnable open(String tenant) {
        int max = config.quotas().maxSseConnections(tenant);
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
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                count.decrementAndGet();
            }
        };
    }

    /** Streams of {@code tenant} open now. */
    public int count(String tenant) {
        AtomicInteger c = open.get(tenant);
        return c == null ? 0 : c.get();
    }
}
