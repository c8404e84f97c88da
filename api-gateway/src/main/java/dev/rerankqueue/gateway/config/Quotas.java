package dev.rerankqueue.gateway.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Per-tenant quotas, answered with 429 + Retry-After. Each has a default for all tenants and
 * per-tenant overrides.
 */
public interface Quotas {
    /** Accepted jobs of one tenant that are not finished yet; 0 = no limit. Default 10000. */
    @WithDefault("10000")
    int maxInFlightJobs();

    /**
     * Documents ((query, document) pairs) of one tenant's accepted jobs that are not finished yet;
     * 0 = no limit. With {@link #maxInFlightJobs()} it bounds what one tenant can put in front of
     * everyone else's jobs. Default 1000000.
     */
    @WithDefault("1000000")
    long maxInFlightPairs();

    /**
     * (query, document) pairs one tenant may submit per second, as a token bucket; 0 = no limit.
     * Default 0.
     */
    @WithDefault("0")
    double pairsPerSecond();

    /**
     * Model tokens one tenant may submit per second, as each job is charged at the door (an upper
     * bound of what the model reads: see {@code JobCost}); a token bucket shared by all gateways
     * through Redis, of {@link #burst()} seconds. 0 = no limit. Default 0.
     */
    @WithDefault("0")
    double tokensPerSecond();

    /**
     * Size of the pairs bucket, in seconds of {@link #pairsPerSecond()}. A job larger than the
     * bucket passes when it is full. Default 2s.
     */
    @WithDefault("2s")
    Duration burst();

    /** Retry-After of a 429 for too many jobs in flight. Default 2s. */
    @WithDefault("2s")
    Duration inFlightRetryAfter();

    /** Open SSE streams of one tenant on one gateway instance; 0 = no limit. Default 1000. */
    @WithDefault("1000")
    int maxSseConnections();

    /**
     * Jobs one tenant's open event streams on one gateway instance may follow: a job stream follows
     * one, a batch stream every job of its batch (it re-reads the unfinished ones), so that a few
     * streams of large batches cannot take the store's connections from everyone; 0 = no limit. A
     * stream larger than this opens when the tenant follows nothing else. Default 50000.
     */
    @WithDefault("50000")
    long maxFollowedJobs();

    /**
     * Most of Redis's {@code maxmemory} one tenant's stored jobs may take (their states and
     * results, estimated at the door from what each asks: {@code return_documents} stores the
     * documents' text), so that one tenant cannot bring Redis to {@code storage-full} for everyone;
     * over it the tenant's next job is a 429 until its stored jobs expire. 0 = no limit; no limit
     * either while Redis has no {@code maxmemory}. Default 0.5.
     */
    @WithDefault("0.5")
    double maxStoredShare();

    /**
     * Most of the backlog one tenant's queued and running jobs may hold, as a share of what the
     * workers drain within {@code rerank.admission.max-backlog} (pairs, at the measured drain rate
     * or, until one is measured, the workers' announced capacity): past it that tenant's next job
     * is a 429, so that one tenant cannot fill the backlog and have every other tenant refused with
     * {@code backlog-full}. 1 = a tenant may fill all of it; 0 = no limit. No limit either while
     * admission is off or no rate is known. Default 0.5.
     */
    @WithDefault("0.5")
    double maxBacklogShare();

    /**
     * Lanes a tenant may submit to ({@code interactive}, {@code batch}); a job on another lane is a
     * 403 naming the lanes allowed. Give a bulk-only tenant {@code batch}, so that its work never
     * competes with the interactive lane. Default both.
     */
    @WithDefault("interactive,batch")
    List<String> lanes();

    /** Overrides per tenant: {@code rerank.quotas.tenant."acme".pairs-per-second=500}. */
    Map<String, TenantQuota> tenant();

    interface TenantQuota {
        OptionalInt maxInFlightJobs();

        OptionalLong maxInFlightPairs();

        OptionalDouble pairsPerSecond();

        OptionalDouble tokensPerSecond();

        OptionalInt maxSseConnections();

        OptionalDouble maxStoredShare();

        Optional<List<String>> lanes();

        OptionalDouble maxBacklogShare();

        OptionalLong maxFollowedJobs();
    }

    default long maxFollowedJobs(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.maxFollowedJobs().isPresent()
                ? q.maxFollowedJobs().getAsLong()
                : maxFollowedJobs();
    }

    default double maxBacklogShare(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.maxBacklogShare().isPresent()
                ? q.maxBacklogShare().getAsDouble()
                : maxBacklogShare();
    }

    default List<String> lanes(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.lanes().isPresent() ? q.lanes().get() : lanes();
    }

    default double maxStoredShare(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.maxStoredShare().isPresent()
                ? q.maxStoredShare().getAsDouble()
                : maxStoredShare();
    }

    default int maxInFlightJobs(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.maxInFlightJobs().isPresent()
                ? q.maxInFlightJobs().getAsInt()
                : maxInFlightJobs();
    }

    default long maxInFlightPairs(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.maxInFlightPairs().isPresent()
                ? q.maxInFlightPairs().getAsLong()
                : maxInFlightPairs();
    }

    default double pairsPerSecond(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.pairsPerSecond().isPresent()
                ? q.pairsPerSecond().getAsDouble()
                : pairsPerSecond();
    }

    default double tokensPerSecond(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.tokensPerSecond().isPresent()
                ? q.tokensPerSecond().getAsDouble()
                : tokensPerSecond();
    }

    default int maxSseConnections(String tenant) {
        TenantQuota q = tenant().get(tenant);
        return q != null && q.maxSseConnections().isPresent()
                ? q.maxSseConnections().getAsInt()
                : maxSseConnections();
    }
}
