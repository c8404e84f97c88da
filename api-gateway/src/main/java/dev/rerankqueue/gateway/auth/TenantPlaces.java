package dev.rerankqueue.gateway.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Places each tenant holds at once on this gateway for one kind of work (uploads being read,
 * webhook deliveries being sent): a tenant at its share waits or is refused while others go on.
 */
public final class TenantPlaces {

    private final Map<String, AtomicInteger> held = new ConcurrentHashMap<>();

    /**
     * Takes one of {@code tenant}'s places; false, taking nothing, when it already holds {@code
     * max} ({@code max} of 0 or less: no limit).
     */
    public boolean take(String tenant, int max) {
        AtomicInteger mine = held.computeIfAbsent(tenant, t -> new AtomicInteger());
        if (mine.incrementAndGet() > max && max > 0) {
            mine.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back a place {@link #take} gave {@code tenant}. */
    public void give(String tenant) {
        held.get(tenant).decrementAndGet();
    }
}
