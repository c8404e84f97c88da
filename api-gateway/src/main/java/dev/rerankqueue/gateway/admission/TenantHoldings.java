package dev.rerankqueue.gateway.admission;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;

/**
 * What each tenant holds now of something counted on this gateway (submission places being
 * accepted, jobs followed by event streams), taken against a limit and given back. A tenant that
 * holds nothing may take any amount, so that one request larger than the limit is not refused for
 * ever. Thread-safe; a tenant holding nothing has no entry.
 */
public final class TenantHoldings {

    private final ConcurrentHashMap<String, Long> held = new ConcurrentHashMap<>();

    /**
     * Takes {@code amount} for {@code tenant}, unless it already holds some and would then hold
     * more than {@code limit} (0: no limit): then throws what {@code refusal} makes of what it
     * holds.
     */
    public void take(
            String tenant, long amount, long limit, LongFunction<RuntimeException> refusal) {
        long[] before = {0};
        boolean[] over = {false};
        held.compute(
                tenant,
                (t, h) -> {
                    before[0] = h == null ? 0 : h;
                    over[0] = limit > 0 && before[0] > 0 && before[0] + amount > limit;
                    return over[0] ? h : Long.valueOf(before[0] + amount);
                });
        if (over[0]) {
            throw refusal.apply(before[0]);
        }
    }

    /** What every tenant holds now, together. */
    public long total() {
        return held.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Gives back {@code amount} that {@code tenant} took. */
    public void give(String tenant, long amount) {
        held.computeIfPresent(tenant, (t, h) -> h <= amount ? null : h - amount);
    }
}
