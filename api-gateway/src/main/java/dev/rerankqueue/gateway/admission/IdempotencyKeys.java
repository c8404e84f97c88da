package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.store.RedisScripts;
import dev.rerankqueue.gateway.store.StoreException;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.store.RedisKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.SetArgs;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Client-chosen {@code Idempotency-Key}s: the first request with a key claims it for its job; a
 * retry with the same key and body gets the same job back; the same key with another body is
 * refused. Keys are per tenant and expire after {@code rerank.idempotency.retention}.
 */
@ApplicationScoped
public class IdempotencyKeys {

    /**
     * What a key is bound to: the job it created and the fingerprint of the request that created
     * it.
     */
    public record Binding(String jobId, String fingerprint) {
        String encode() {
            return jobId + "|" + fingerprint;
        }

        static Binding decode(String value) {
            int bar = value.indexOf('|');
            return new Binding(value.substring(0, bar), value.substring(bar + 1));
        }
    }

    private static final String RELEASE =
            """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """;

    private final ReactiveRedisDataSource redis;
    private final long retentionSeconds;

    public IdempotencyKeys(ReactiveRedisDataSource redis, GatewayConfig config) {
        this.redis = redis;
        this.retentionSeconds = config.idempotency().retention().toSeconds();
    }

    /** Rejects keys that are empty, longer than 255 characters or not printable ASCII. */
    public static String check(String key) {
        if (key.isEmpty()
                || key.length() > 255
                || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw new InvalidRequestException(
                    "Idempotency-Key",
                    "must be 1 to 255 printable ASCII characters without spaces");
        }
        return key;
    }

    /**
     * Claims {@code key} for {@code wanted}; completes with the binding already there when another
     * request has it.
     */
    public Uni<Binding> claim(String tenant, String key, Binding wanted) {
        return claim(redisKey(tenant, key), wanted, retentionSeconds);
    }

    /**
     * Claims the implicit key of a sync request without an Idempotency-Key (its fingerprint) for
     * {@code window}, so a client's retry of the same request finds the job; completes with the
     * binding already there, if any.
     */
    public Uni<Binding> claimSyncRetry(String tenant, Binding wanted, Duration window) {
        return claim(
                syncKey(tenant, wanted.fingerprint()), wanted, Math.max(1, window.toSeconds()));
    }

    /**
     * Binds the implicit key of a sync request to a new job, replacing one whose job ended without
     * a result.
     */
    public Uni<Void> rebindSyncRetry(String tenant, Binding wanted, Duration window) {
        return redis.value(String.class)
                .set(
                        syncKey(tenant, wanted.fingerprint()),
                        wanted.encode(),
                        new SetArgs().ex(Math.max(1, window.toSeconds())))
                .onFailure()
                .transform(e -> StoreException.unavailable(e.toString()));
    }

    private static String syncKey(String tenant, String fingerprint) {
        return RedisKeys.idempotency(tenant, "sync-retry:" + fingerprint);
    }

    private Uni<Binding> claim(String redisKey, Binding wanted, long seconds) {
        return redis.value(String.class)
                .setGet(redisKey, wanted.encode(), new SetArgs().nx().ex(seconds))
                .map(previous -> previous == null ? null : Binding.decode(previous))
                .onFailure()
                .transform(e -> StoreException.unavailable(e.toString()));
    }

    /**
     * Frees a key whose job was not accepted, so that the client's retry can use it; only if it is
     * still ours.
     */
    public Uni<Void> release(String tenant, String key, Binding ours) {
        return RedisScripts.eval(redis, RELEASE, "1", redisKey(tenant, key), ours.encode())
                .replaceWithVoid();
    }

    private static String redisKey(String tenant, String key) {
        return RedisKeys.idempotency(tenant, sha256(key));
    }

    /** Hex SHA-256 of a string: the stored form of keys, and request fingerprints. */
    public static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
