package dev.rerankqueue.gateway.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Completion webhooks: where they may go, how they are signed and retried. */
public interface Webhooks {
    /**
     * Host names a job's {@code webhook} may name: exact names, or {@code *.example.com} for any
     * name under it, or {@code *} for any public host. Default: none, which turns webhooks off (a
     * request naming one is a 422).
     */
    Optional<List<String>> allowedHosts();

    /**
     * Addresses in loopback, link-local, private or other non-public ranges that a webhook may
     * still reach, as IPs or CIDR blocks ({@code 10.1.0.0/16}). Every address a host name resolves
     * to is checked before each attempt. Default: none.
     */
    Optional<List<String>> allowedPrivateAddresses();

    /** Whether plain {@code http://} webhooks are allowed besides https. Default false. */
    @WithDefault("false")
    boolean allowHttp();

    /**
     * The signing secret of each tenant: {@code rerank.webhooks.secrets."acme"=whsec_<base64>}, as
     * Standard Webhooks writes it, of at least 24 random bytes; several separated by spaces or
     * commas during a rotation (each message is then signed with each). A malformed secret stops
     * the gateway at start-up. A tenant without one cannot name a webhook.
     */
    Map<String, String> secrets();

    /** Time one delivery attempt may take. Default 10s. */
    @WithDefault("10s")
    Duration timeout();

    /** Wait before the second attempt; each later wait doubles. Default 1s. */
    @WithDefault("1s")
    Duration initialBackoff();

    /** Longest wait between two attempts. Default 10m. */
    @WithDefault("10m")
    Duration maxBackoff();

    /**
     * Attempts stop this long after the first one, and the delivery is marked failed (also kept no
     * longer than the job itself). Default 24h.
     */
    @WithDefault("24h")
    Duration giveUpAfter();

    /** How often each gateway looks for deliveries that are due. Default 500ms. */
    @WithDefault("500ms")
    Duration pollInterval();

    /**
     * How often a batch with a webhook is looked at to see whether all its jobs have ended. Default
     * 2s.
     */
    @WithDefault("2s")
    Duration batchCheckInterval();

    /** Deliveries one gateway has in flight at once. Default 32. */
    @WithDefault("32")
    int maxInFlight();

    /**
     * Deliveries of one tenant a gateway sends at once: a tenant whose receivers are slow or down
     * holds at most this many senders, and its further due deliveries wait their turn (a second
     * later, no attempt counted) while other tenants' go out. Default 8.
     */
    @WithDefault("8")
    int maxInFlightPerTenant();

    /**
     * Failed attempts running (no answer in time, a 5xx, a 4xx other than 410) after which a
     * tenant's receiver (scheme, host and port) is parked: its deliveries wait, no attempt counted,
     * instead of each retrying on its own backoff. 0 = never park. Default 5.
     */
    @WithDefault("5")
    int parkAfterFailures();

    /**
     * How long a receiver is first parked; when a park ends one delivery probes it, and each failed
     * probe doubles the park (up to {@code max-backoff}). A delivered probe ends it. Default 1m.
     */
    @WithDefault("1m")
    Duration parkFor();

    /** Whether webhooks are on: some host is allowed. */
    default boolean enabled() {
        return allowedHosts().map(h -> !h.isEmpty()).orElse(false);
    }
}
