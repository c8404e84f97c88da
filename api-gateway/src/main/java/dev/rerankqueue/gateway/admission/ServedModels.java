package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.store.StoreException;
import dev.rerankqueue.store.RedisKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The models the running workers serve, as they announce them in Redis ({@link
 * RedisKeys#SERVED_MODELS}, every few seconds), and the check of a request's {@code model} against
 * them: a name no worker serves is refused with 404, as vLLM and Cohere refuse it, unless it is an
 * alias ({@code rerank.models.aliases}); while no worker has announced anything yet a name is not
 * unknown but unchecked, and the request is refused with 503 and Retry-After. Read from Redis at
 * most once per {@code rerank.models.refresh} per gateway.
 */
@ApplicationScoped
public class ServedModels {

    /** A worker that has not announced its model for this long is no longer counted. */
    public static final long FRESH_MS = 30_000;

    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final ReactiveRedisDataSource redis;
    private final GatewayConfig.Models config;
    private volatile Snapshot last = new Snapshot(0, Map.of());

    /**
     * Served model name to the time of its latest announcement (epoch millis), read at {@code
     * readAt}.
     */
    private record Snapshot(long readAt, Map<String, Long> models) {}

    public ServedModels(ReactiveRedisDataSource redis, GatewayConfig config) {
        this.redis = redis;
        this.config = config.models();
    }

    /**
     * Every model announced in the last {@link #FRESH_MS}, by name, with the time of its latest
     * announcement.
     */
    public Uni<Map<String, Long>> fresh() {
        long now = System.currentTimeMillis();
        Snapshot s = last;
        Uni<Map<String, Long>> read =
                now - s.readAt() < config.refresh().toMillis()
                        ? Uni.createFrom().item(s.models())
                        : redis.hash(String.class)
                                .hgetall(RedisKeys.SERVED_MODELS)
                                .onFailure()
                                .transform(e -> StoreException.unavailable(e.toString()))
                                .map(
                                        all -> {
                                            Map<String, Long> parsed = new TreeMap<>();
                                            all.forEach(
                                                    (name, at) ->
                                                            parsed.put(name, parseMillis(at)));
                                            last = new Snapshot(now, parsed);
                                            return parsed;
                                        });
        return read.map(
                all -> {
                    Map<String, Long> fresh = new TreeMap<>();
                    all.forEach(
                            (name, at) -> {
                                if (now - at < FRESH_MS) {
                                    fresh.put(name, at);
                                }
                            });
                    return fresh;
                });
    }

    /**
     * Completes when a request naming {@code requested} (null: none) may be queued; fails with 404
     * or 503 otherwise.
     */
    public Uni<Void> check(String requested) {
        if (!config.check() || requested == null || requested.isBlank()) {
            return Uni.createFrom().voidItem();
        }
        String target = config.aliases().getOrDefault(requested, requested);
        return fresh().map(
                        served -> {
                            if (served.isEmpty()) {
                                throw RefusedException.modelNotReady(requested, RETRY_AFTER);
                            }
                            if (!target.equals("*") && !served.containsKey(target)) {
                                throw RefusedException.modelNotFound(requested, served.keySet());
                            }
                            return served;
                        })
                .replaceWithVoid();
    }

    private static long parseMillis(String millis) {
        try {
            return Long.parseLong(millis);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
