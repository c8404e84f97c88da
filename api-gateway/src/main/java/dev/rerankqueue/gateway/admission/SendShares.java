package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.job.Priority;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * What each tenant's jobs hold of each lane producer's buffer on their way to Kafka: their encoded
 * bytes, from the send to the broker's acknowledgement, against the tenant's share of that buffer
 * ({@code rerank.admission.max-tenant-send-share}). Without it one tenant's large jobs or uploads
 * fill the producer's {@code buffer.memory}, and every other tenant's send waits up to {@code
 * max.block.ms} and fails. A tenant sending nothing may send one job of any size.
 */
final class SendShares {

    /** The name of the quota a refusal gives. */
    static final String QUOTA = "rerank.admission.max-tenant-send-share";

    private final Map<Priority, TenantHoldings> held = new EnumMap<>(Priority.class);
    private final Map<Priority, Long> shares = new EnumMap<>(Priority.class);

    /**
     * @param tenantShare the share of a lane's buffer one tenant may hold; 0, 1 or more: no share
     * @param bufferBytes each lane producer's {@code buffer.memory}
     */
    SendShares(double tenantShare, ToLongFunction<Priority> bufferBytes) {
        for (Priority lane : Priority.values()) {
            held.put(lane, new TenantHoldings());
            shares.put(
                    lane,
                    tenantShare <= 0 || tenantShare >= 1
                            ? 0L
                            : (long) (tenantShare * bufferBytes.applyAsLong(lane)));
        }
    }

    /**
     * Takes {@code bytes} of {@code lane}'s buffer for {@code tenant}; returns what gives them
     * back.
     *
     * @throws RefusedException 429 when the tenant would hold more than its share
     */
    Runnable take(String tenant, Priority lane, long bytes) {
        long share = shares.get(lane);
        TenantHoldings lanes = held.get(lane);
        lanes.take(
                tenant,
                bytes,
                share,
                holding ->
                        RefusedException.quotaExceeded(
                                QUOTA,
                                "tenant "
                                        + tenant
                                        + " has "
                                        + kib(holding)
                                        + " KiB of jobs on their way to Kafka through this"
                                        + " gateway's "
                                        + lane.wireName()
                                        + " producer, and this job's "
                                        + kib(bytes)
                                        + " KiB would take it past its share of the producer's"
                                        + " buffer ("
                                        + kib(share)
                                        + " KiB); wait for their answers before sending more",
                                Duration.ofSeconds(1)));
        return () -> lanes.give(tenant, bytes);
    }

    /** Bytes of every tenant's jobs on their way to Kafka through {@code lane}'s producer now. */
    long held(Priority lane) {
        return held.get(lane).total();
    }

    /** The smallest of the lanes' shares, in bytes; 0 when there is none. */
    long smallest() {
        return shares.values().stream().mapToLong(Long::longValue).min().orElse(0);
    }

    private static long kib(long bytes) {
        return (bytes + 1023) / 1024;
    }
}
