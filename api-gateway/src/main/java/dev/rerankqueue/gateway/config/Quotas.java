package dev.rerankqueue.gateway.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

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
        Optional<Integer> maxInFlightJobs();

        Optional<Long> maxInFlightPairs();

        Optional<Double> pairsPerSecond();

        Optional<Double> tokensPerSecond();

        Optional<Integer> maxSseConnections();

        Optional<Double> maxStoredShare();

        Optional<List<String>> lanes();

        Optional<Double> maxBacklogShare();

        Optional<Long> maxFollowedJobs();
    }

    /** {@code tenant}'s own value of a setting where it has one, else {@code global}. */
    private <T> T forTenant(String tenant, Function<TenantQuota, Optional<T>> own, T global) {
        TenantQuota q = tenant().get(tenant);
        return q == null ? global : own.apply(q).orElse(global);
    }

    default long maxFollowedJobs(String tenant) {
        return forTenant(tenant, TenantQuota::maxFollowedJobs, maxFollowedJobs());
    }

    default double maxBacklogShare(String tenant) {
        return forTenant(tenant, TenantQuota::maxBacklogShare, maxBacklogShare());
    }

    default List<String> lanes(String tenant) {
        return forTenant(tenant, TenantQuota::lanes, lanes());
    }

    default double maxStoredShare(String tenant) {
        return forTenant(tenant, TenantQuota::maxStoredShare, maxStoredShare());
    }

    default int maxInFlightJobs(String tenant) {
        return forTenant(tenant, TenantQuota::maxInFlightJobs, maxInFlightJobs());
    }

    default long maxInFlightPairs(String tenant) {
        return forTenant(tenant, TenantQuota::maxInFlightPairs, maxInFlightPairs());
    }

    default double pairsPerSecond(String tenant) {
        return forTenant(tenant, TenantQuota::pairsPerSecond, pairsPerSecond());
    }

    default double tokensPerSecond(String tenant) {
        return forTenant(tenant, TenantQuota::tokensPerSecond, tokensPerSecond());
    }

    default int maxSseConnections(String tenant) {
        return forTenant(tenant, TenantQuota::maxSseConnections, maxSseConnections());
    }
}
