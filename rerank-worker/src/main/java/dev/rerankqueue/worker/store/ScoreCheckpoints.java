package dev.rerankqueue.worker.store;

import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.scoring.ScoreCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The scores of running jobs' pairs, kept in Redis ({@link RedisKeys#scoreCheckpoint}) as scorer
 * calls end. A worker that takes a job over after its first worker died reads what was scored and
 * sends only the rest to the model, so a crash costs the calls in flight, not the whole batch. A
 * checkpoint is only used for the model and the pair count it was written for, and expires on its
 * own; the worker that records the job deletes it. Best effort throughout: a write or read that
 * fails only means pairs scored again.
 */
@ApplicationScoped
public class ScoreCheckpoints {

    /**
     * One {@code HSET} a job with the fields of one call, and its expiry. ARGV: expiry (ms), model,
     * then for each key: its field count n, its pair count, n field-value pairs.
     */
    private static final String SAVE =
            """
            local at = 3
            for k = 1, #KEYS do
              local n = tonumber(ARGV[at])
              redis.call('HSET', KEYS[k], 'model', ARGV[2], 'pairs', ARGV[at + 1])
              at = at + 2
              for f = 0, n - 1 do
                redis.call('HSET', KEYS[k], ARGV[at + 2 * f], ARGV[at + 2 * f + 1])
              end
              at = at + 2 * n
              redis.call('PEXPIRE', KEYS[k], ARGV[1])
            end
            return #KEYS
            """;

    /** {@code HGETALL} of each key. */
    private static final String LOAD =
            """
            local r = {}
            for i = 1, #KEYS do r[i] = redis.call('HGETALL', KEYS[i]) end
            return r
            """;

    private static final String MODEL = "model";
    private static final String PAIRS = "pairs";

    private final ReactiveRedisDataSource redis;
    private final boolean enabled;
    private final long ttlMillis;
    private final Counter reused;

    public ScoreCheckpoints(
            ReactiveRedisDataSource redis, WorkerConfig config, MeterRegistry metrics) {
        this.redis = redis;
        this.enabled = config.checkpoints().enabled();
        this.ttlMillis = config.checkpoints().ttl().toMillis();
        this.reused =
                Counter.builder("rerank.checkpoint.pairs.reused")
                        .description(
                                "Pairs of jobs taken over whose scores came from the checkpoint of"
                                        + " the worker that ran them before, not from the model")
                        .register(metrics);
    }

    public boolean enabled() {
        return enabled;
    }

    /**
     * The scores of some pairs of running jobs: for each job id, its pair count and its scores by
     * the index of the pair in the job.
     */
    public record Saved(String jobId, int pairs, Map<Integer, ScoreCache.Entry> scores) {}

    /** Writes {@code jobs}' scores under {@code model}, in one call to Redis. */
    public Uni<Void> save(String model, List<Saved> jobs) {
        if (!enabled || jobs.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<String> args = new ArrayList<>();
        args.add(SAVE);
        args.add(Integer.toString(jobs.size()));
        jobs.forEach(j -> args.add(RedisKeys.scoreCheckpoint(j.jobId())));
        args.add(Long.toString(ttlMillis));
        args.add(model);
        for (Saved j : jobs) {
            args.add(Integer.toString(j.scores().size()));
            args.add(Integer.toString(j.pairs()));
            j.scores()
                    .forEach(
                            (pair, entry) -> {
                                args.add(Integer.toString(pair));
                                args.add(encode(entry));
                            });
        }
        return RedisScripts.eval(redis, args.toArray(String[]::new)).replaceWithVoid();
    }

    /**
     * What was checkpointed for each of {@code jobs} (id and pair count) under {@code model}; a job
     * with none, or one written for another model or pair count, is left out.
     */
    public Uni<Map<String, Map<Integer, ScoreCache.Entry>>> load(
            String model, Map<String, Integer> jobs) {
        if (!enabled || jobs.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        List<String> ids = new ArrayList<>(jobs.keySet());
        String[] args = new String[ids.size() + 2];
        args[0] = LOAD;
        args[1] = Integer.toString(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            args[i + 2] = RedisKeys.scoreCheckpoint(ids.get(i));
        }
        return RedisScripts.eval(redis, args)
                .map(
                        reply -> {
                            Map<String, Map<Integer, ScoreCache.Entry>> found = new HashMap<>();
                            int i = 0;
                            for (Response hash : reply) {
                                String id = ids.get(i++);
                                Map<Integer, ScoreCache.Entry> scores =
                                        decode(hash, model, jobs.get(id));
                                if (!scores.isEmpty()) {
                                    found.put(id, scores);
                                    reused.increment(scores.size());
                                }
                            }
                            return found;
                        });
    }

    /** Deletes the checkpoints of {@code jobIds}: their jobs are recorded. */
    public Uni<Void> delete(List<String> jobIds) {
        if (!enabled || jobIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<String> args = new ArrayList<>(jobIds.size());
        jobIds.forEach(id -> args.add(RedisKeys.scoreCheckpoint(id)));
        return redis.execute("UNLINK", args.toArray(String[]::new)).replaceWithVoid();
    }

    /** The exact score (its bits), tokens and whether the pair was cut: {@code bits,tokens,0|1}. */
    static String encode(ScoreCache.Entry e) {
        return Long.toHexString(Double.doubleToRawLongBits(e.value()))
                + ","
                + e.tokens()
                + ","
                + (e.truncated() ? 1 : 0);
    }

    static ScoreCache.Entry decode(String field) {
        String[] parts = field.split(",", -1);
        return new ScoreCache.Entry(
                Double.longBitsToDouble(Long.parseUnsignedLong(parts[0], 16)),
                Integer.parseInt(parts[1]),
                parts[2].equals("1"));
    }

    /** The scores of one {@code HGETALL} reply, if written for {@code model} and {@code pairs}. */
    private static Map<Integer, ScoreCache.Entry> decode(Response hash, String model, int pairs) {
        Map<String, String> fields = new HashMap<>();
        for (int f = 0; f + 1 < hash.size(); f += 2) {
            fields.put(hash.get(f).toString(), hash.get(f + 1).toString());
        }
        if (!Objects.equals(fields.remove(MODEL), model)
                || !Objects.equals(fields.remove(PAIRS), Integer.toString(pairs))) {
            return Map.of();
        }
        Map<Integer, ScoreCache.Entry> scores = new HashMap<>();
        fields.forEach(
                (pair, value) -> {
                    int p = Integer.parseInt(pair);
                    if (p >= 0 && p < pairs) {
                        scores.put(p, decode(value));
                    }
                });
        return scores;
    }
}
