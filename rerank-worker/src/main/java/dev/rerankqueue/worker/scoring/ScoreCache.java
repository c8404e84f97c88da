package dev.rerankqueue.worker.scoring;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rerankqueue.job.TruncationDirection;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scores already computed, so a pair seen again (a retried job, the same candidates for a popular
 * query) costs no model time. Bounded (least recently used out first) and timed; the key is the
 * model name plus a SHA-256 of tenant, instruction, query and document, so a score is only ever
 * returned for the model that produced it, a document under another instruction is scored again,
 * and a tenant is never answered from another tenant's pairs (a hit shows in the job's scoring
 * time, so a shared cache would tell tenant A which pairs tenant B scored). Sharing across tenants
 * is an explicit choice ({@code rerank.worker.cache.shared-across-tenants}) for deployments whose
 * tenants trust each other.
 */
public final class ScoreCache {

    /** What is remembered of one scored pair. */
    public record Entry(double value, int tokens, boolean truncated) {}

    /** A pair's place in the cache: computed once per pair, used to look up and to store. */
    public record Key(String model, String digest) {}

    /** Keys computed so far (tests: a pair is hashed once). */
    private final LongAdder keysComputed = new LongAdder();

    private final Cache<Key, Entry> cache;

    private final boolean sharedAcrossTenants;

    /** A cache per tenant. */
    public ScoreCache(long maxEntries, Duration ttl, MeterRegistry metrics) {
        this(maxEntries, ttl, false, metrics);
    }

    /**
     * @param maxEntries 0 turns the cache off
     */
    public ScoreCache(
            long maxEntries, Duration ttl, boolean sharedAcrossTenants, MeterRegistry metrics) {
        this.sharedAcrossTenants = sharedAcrossTenants;
        if (maxEntries <= 0) {
            cache = null;
            return;
        }
        cache =
                Caffeine.newBuilder()
                        .maximumSize(maxEntries)
                        .expireAfterWrite(ttl)
                        .recordStats()
                        .build();
        CaffeineCacheMetrics.monitor(metrics, cache, "rerank.scores");
    }

    /** The key of {@code pair} under {@code model}, or null when the cache is off. */
    public Key keyOf(String model, ScorePair pair) {
        return cache == null ? null : key(model, pair);
    }

    /** What is remembered under {@code key} (null: the cache is off or has nothing). */
    public Entry get(Key key) {
        return key == null ? null : cache.getIfPresent(key);
    }

    public void put(Key key, Entry entry) {
        if (key != null) {
            cache.put(key, entry);
        }
    }

    long keysComputed() {
        return keysComputed.sum();
    }

    private Key key(String model, ScorePair p) {
        keysComputed.increment();
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String tenant = sharedAcrossTenants || p.tenant() == null ? "" : p.tenant();
            for (String part :
                    new String[] {
                        tenant,
                        p.instruction() == null ? "" : p.instruction(),
                        p.query(),
                        p.document()
                    }) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) ':');
                sha.update(bytes);
            }
            if (p.cutFrom() == TruncationDirection.LEFT) {
                // a document too long for the model is scored on its end: another score than its
                // beginning's
                sha.update((byte) '<');
            }
            return new Key(model, HexFormat.of().formatHex(sha.digest()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
