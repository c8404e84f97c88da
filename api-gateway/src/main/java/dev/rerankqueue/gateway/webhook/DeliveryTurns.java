package dev.rerankqueue.gateway.webhook;

import dev.rerankqueue.gateway.auth.TenantPlaces;
import dev.rerankqueue.gateway.config.Webhooks;
import dev.rerankqueue.gateway.store.RedisScripts;
import dev.rerankqueue.store.RedisKeys;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Whether a claimed delivery goes out now, on this gateway: its tenant holds at most {@code
 * rerank.webhooks.max-in-flight-per-tenant} senders, and a receiver its tenant's deliveries keep
 * failing at is parked ({@code rerank.webhooks.park-after-failures}, {@code park-for}): while
 * parked, the tenant's deliveries to it wait for the park's end (no attempt counted) instead of
 * each retrying on its own backoff, so a dead receiver costs one probe per park rather than an
 * attempt per delivery and backoff step. A delivery that may not go now is made due again later in
 * its tenant's outbox. Parks are this gateway's own (each gateway probes by itself).
 */
final class DeliveryTurns {

    private static final Logger LOG = Logger.getLogger(DeliveryTurns.class);

    /** Time a delivery over its tenant's share waits before it is due again. */
    static final long TURN_MS = 1_000;

    /** Receivers remembered at most; past it a new failing receiver is not parked. */
    static final int MAX_RECEIVERS = 10_000;

    private static final Duration REDIS_WAIT = Duration.ofSeconds(5);

    private final Webhooks config;
    private final ReactiveRedisDataSource redis;
    private final MeterRegistry metrics;
    private final TenantPlaces sending = new TenantPlaces();

    /** Receivers (tenant, scheme, host and port) whose last attempts failed. */
    private final Map<String, Receiver> failing = new HashMap<>();

    private static final class Receiver {
        int failures;
        long parkMs;
        long parkedUntil;
        boolean probing;
    }

    DeliveryTurns(Webhooks config, ReactiveRedisDataSource redis, MeterRegistry metrics) {
        this.config = config;
        this.redis = redis;
        this.metrics = metrics;
    }

    /**
     * Takes one of {@code tenant}'s sending places for delivery {@code id} to {@code url}, or makes
     * the delivery due again later (its tenant over its share: a second; its receiver parked: when
     * the park ends) and answers false.
     */
    boolean take(String outbox, String id, String tenant, String url) {
        if (!sending.take(tenant, Math.max(1, config.maxInFlightPerTenant()))) {
            metrics.counter("rerank.webhooks.deferred").increment();
            defer(outbox, id, System.currentTimeMillis() + TURN_MS);
            return false;
        }
        long parkedUntil =
                url == null ? 0 : parkedUntil(receiver(tenant, url), System.currentTimeMillis());
        if (parkedUntil > 0) {
            sending.give(tenant);
            metrics.counter("rerank.webhooks.parked").increment();
            defer(outbox, id, parkedUntil);
            return false;
        }
        return true;
    }

    /**
     * Gives back the place {@link #take} took, after an attempt that ended as {@code outcome}
     * (null: no attempt was made).
     */
    void give(String tenant, String url, String outcome) {
        sending.give(tenant);
        if (url != null && outcome != null) {
            attempted(receiver(tenant, url), outcome, System.currentTimeMillis());
        }
    }

    /** 0 when a delivery to {@code key} may go now, else when it may; lets one probe through. */
    synchronized long parkedUntil(String key, long now) {
        Receiver r = failing.get(key);
        if (r == null || r.parkMs == 0) {
            return 0;
        }
        if (now < r.parkedUntil) {
            return r.parkedUntil;
        }
        if (r.probing) {
            return now + TURN_MS; // a probe is out: the others wait for its answer
        }
        r.probing = true;
        return 0;
    }

    /** Counts an attempt's outcome against receiver {@code key}: a failure, or the end of it. */
    synchronized void attempted(String key, String outcome, long now) {
        if (!outcome.equals("retry")) {
            Receiver gone = failing.remove(key);
            if (gone != null && gone.parkMs > 0 && outcome.equals("delivered")) {
                LOG.infof("webhook receiver %s answers again: no longer parked", key);
            }
            return;
        }
        int parkAfter = config.parkAfterFailures();
        if (parkAfter <= 0 || (!failing.containsKey(key) && failing.size() >= MAX_RECEIVERS)) {
            return;
        }
        Receiver r = failing.computeIfAbsent(key, k -> new Receiver());
        r.failures++;
        if (r.failures < parkAfter || (r.parkMs > 0 && !r.probing && now < r.parkedUntil)) {
            return; // not yet; or an attempt sent before the park began
        }
        r.parkMs =
                r.parkMs == 0
                        ? config.parkFor().toMillis()
                        : Math.min(
                                Math.max(config.maxBackoff().toMillis(), r.parkMs), r.parkMs * 2);
        r.parkedUntil = now + r.parkMs;
        r.probing = false;
        LOG.warnf(
                "webhook receiver %s failed %d attempts running: parked for %d s",
                key, r.failures, r.parkMs / 1000);
    }

    /** A receiver: the tenant, and the URL's scheme, host and port. */
    static String receiver(String tenant, String url) {
        try {
            URI uri = URI.create(url);
            return tenant + " " + uri.getScheme() + "://" + uri.getAuthority();
        } catch (IllegalArgumentException e) {
            return tenant + " " + url;
        }
    }

    private void defer(String outbox, String id, long dueAt) {
        RedisScripts.eval(
                        redis,
                        WebhookScripts.DEFER,
                        "2",
                        outbox,
                        RedisKeys.WEBHOOK_TENANTS,
                        id,
                        Long.toString(dueAt),
                        RedisKeys.WEBHOOKS_DUE_OF_PREFIX)
                .await()
                .atMost(REDIS_WAIT);
    }
}
