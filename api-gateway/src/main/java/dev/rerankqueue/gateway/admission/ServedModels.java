package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.store.StoreException;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.store.RedisKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The models the running workers serve, as they announce them in Redis ({@link
 * RedisKeys#SERVED_MODELS}, every few seconds, with each model's pool in {@link
 * RedisKeys#MODEL_POOLS}), and where a request's {@code model} goes: the {@link ModelPool} whose
 * workers serve it (the default pool for a request naming none). A name no worker ever announced is
 * refused with 404, as vLLM and Cohere refuse it, unless it is an alias ({@code
 * rerank.models.aliases}); while no worker has announced anything yet a name is not unknown but
 * unchecked, and the request is refused with 503 and Retry-After, as is one for a model whose
 * workers have all gone quiet, unless {@code rerank.models.queue-without-workers} queues it for a
 * pool that scales from zero. Read from Redis at most once per {@code rerank.models.refresh} per
 * gateway.
 */
@ApplicationScoped
public class ServedModels {

    /** A worker that has not announced its model for this long is no longer counted. */
    public static final long FRESH_MS = 30_000;

    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final ReactiveRedisDataSource redis;
    private final GatewayConfig.Models config;
    private volatile Snapshot last = new Snapshot(0, Map.of(), Map.of());

    /**
     * One model as announced: its pool, when a worker last said it serves it (epoch millis, 0 when
     * only its pool is known) and whether that was within {@link #FRESH_MS}.
     */
    public record Served(String model, ModelPool pool, long announcedAt, boolean live) {}

    /**
     * Served model name to the time of its latest announcement (epoch millis), and to its pool's
     * name, read at {@code readAt}.
     */
    private record Snapshot(long readAt, Map<String, Long> models, Map<String, String> pools) {}

    public ServedModels(ReactiveRedisDataSource redis, GatewayConfig config) {
        this.redis = redis;
        this.config = config.models();
    }

    /** Every model a worker has announced, live or not, by name. */
    public Uni<Map<String, Served>> all() {
        long now = System.currentTimeMillis();
        Snapshot s = last;
        Uni<Snapshot> read =
                now - s.readAt() < config.refresh().toMillis()
                        ? Uni.createFrom().item(s)
                        : hash(RedisKeys.SERVED_MODELS)
                                .chain(
                                        models ->
                                                hash(RedisKeys.MODEL_POOLS)
                                                        .map(pools -> read(now, models, pools)));
        return read.map(
                snapshot -> {
                    Map<String, Served> all = new TreeMap<>();
                    Set<String> names = new TreeSet<>(snapshot.models().keySet());
                    names.addAll(snapshot.pools().keySet());
                    for (String name : names) {
                        long at = snapshot.models().getOrDefault(name, 0L);
                        all.put(
                                name,
                                new Served(
                                        name,
                                        pool(snapshot.pools().get(name)),
                                        at,
                                        now - at < FRESH_MS));
                    }
                    return all;
                });
    }

    /**
     * Every model announced in the last {@link #FRESH_MS}, by name, with the time of its latest
     * announcement.
     */
    public Uni<Map<String, Long>> fresh() {
        return all().map(
                        all -> {
                            Map<String, Long> fresh = new TreeMap<>();
                            all.values().stream()
                                    .filter(Served::live)
                                    .forEach(m -> fresh.put(m.model(), m.announcedAt()));
                            return fresh;
                        });
    }

    /**
     * The pool a request naming {@code requested} (null: none) is queued in; fails with 404 or 503
     * when it may not be queued.
     */
    public Uni<ModelPool> route(String requested) {
        if (requested == null || requested.isBlank()) {
            return Uni.createFrom().item(ModelPool.DEFAULT_POOL);
        }
        String target = config.aliases().getOrDefault(requested, requested);
        if (target.equals("*")) { // whichever model is served: the default pool's
            return config.check()
                    ? fresh().map(
                                    served -> {
                                        if (served.isEmpty()) {
                                            throw RefusedException.modelNotReady(
                                                    requested, RETRY_AFTER);
                                        }
                                        return ModelPool.DEFAULT_POOL;
                                    })
                    : Uni.createFrom().item(ModelPool.DEFAULT_POOL);
        }
        return all().map(all -> route(requested, all.get(target), all));
    }

    private ModelPool route(String requested, Served model, Map<String, Served> all) {
        if (!config.check()) {
            return model == null ? ModelPool.DEFAULT_POOL : model.pool();
        }
        if (model != null && (model.live() || config.queueWithoutWorkers())) {
            return model.pool();
        }
        List<String> live = all.values().stream().filter(Served::live).map(Served::model).toList();
        if (model != null) {
            throw RefusedException.modelWithoutWorkers(
                    requested,
                    model.pool().name(),
                    (System.currentTimeMillis() - model.announcedAt()) / 1000,
                    RETRY_AFTER);
        }
        if (live.isEmpty()) {
            throw RefusedException.modelNotReady(requested, RETRY_AFTER);
        }
        throw RefusedException.modelNotFound(requested, live);
    }

    private Snapshot read(long now, Map<String, String> models, Map<String, String> pools) {
        Map<String, Long> parsed = new TreeMap<>();
        models.forEach((name, at) -> parsed.put(name, parseMillis(at)));
        Snapshot s = new Snapshot(now, parsed, Map.copyOf(pools));
        last = s;
        return s;
    }

    private Uni<Map<String, String>> hash(String key) {
        return redis.hash(String.class)
                .hgetall(key)
                .onFailure()
                .transform(e -> StoreException.unavailable(e.toString()));
    }

    /** The pool called {@code name}; the default one for none or a name no pool can have. */
    private static ModelPool pool(String name) {
        try {
            return ModelPool.of(name);
        } catch (IllegalArgumentException e) {
            return ModelPool.DEFAULT_POOL;
        }
    }

    private static long parseMillis(String millis) {
        try {
            return Long.parseLong(millis);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
