package dev.rerankqueue.worker.store;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.config.WorkerId;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Rebuilds job results in Redis from the {@code rerank.results} topic when Redis has lost them. A
 * marker key says Redis holds the replayed results; when it is gone (a restart without persistence,
 * FLUSHALL), one worker (holding a short lock) replays the whole topic. A Redis that comes back
 * with its data may still lack its last writes, though it acknowledged them: with {@code
 * appendfsync everysec} a killed server loses up to two seconds of them, a replica promoted by a
 * failover what it had not received. So each check also records the server's {@code run_id} with
 * the time ({@link #RUN}); a check that finds another server's there (a restart, a failover) marks
 * the topic to be replayed from the time that server was last seen, less {@link #TAIL_MARGIN}, and
 * one worker replays that tail. A replay writes back every state Redis lacks or holds older and not
 * terminal (a job back at its claim), never one it holds terminal or newer.
 */
@ApplicationScoped
public class StateRestorer {

    static final String MARKER = "rerank:results-restored";
    static final String LOCK = "rerank:results-restore-lock";

    /** The run id of the Redis server last seen by a worker, and when: "{@code <run_id> <ms>}". */
    static final String RUN = "rerank:results-redis-run";

    /** Epoch ms from which the results topic is still to be replayed, when a tail replay is due. */
    static final String TAIL = "rerank:results-tail-from";

    /**
     * How far before the last sight of a restarted server the tail replay starts: the records'
     * times are their writers' clocks, the sight another worker's.
     */
    static final Duration TAIL_MARGIN = Duration.ofMinutes(1);

    private static final Logger LOG = Logger.getLogger(StateRestorer.class);

    /**
     * Only if the lock is still ours (ARGV[1]): sets the marker (time ARGV[2]), drops the tail
     * replayed (ARGV[3], '' for none) unless the server restarted again since the replay began (its
     * run id, ARGV[4]), drops the lock (KEYS: lock, marker, tail, run).
     */
    private static final String FINISH =
            """
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('SET', KEYS[2], ARGV[2])
            local run = redis.call('GET', KEYS[4]) or ''
            if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) == ARGV[3]
                and string.sub(run, 1, #ARGV[4] + 1) == ARGV[4] .. ' ' then
              redis.call('DEL', KEYS[3])
            end
            redis.call('DEL', KEYS[1])
            return 1
            """;

    /** Drops the lock only if it is still ours. */
    private static final String RELEASE =
            """
            if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
            return 1
            """;

    private final ReactiveRedisDataSource redis;
    private final JobStateWriter store;
    private final Map<String, Object> kafkaConfig;
    private final Duration retention;
    private final String workerId;

    public StateRestorer(
            ReactiveRedisDataSource redis,
            JobStateWriter store,
            WorkerConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig) {
        this.redis = redis;
        this.store = store;
        this.kafkaConfig = kafkaConfig;
        this.retention = config.results().retention();
        this.workerId = WorkerId.of(config);
    }

    @Scheduled(
            every = "${rerank.worker.results.restore-check:5s}",
            delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void checkRedis() {
        try {
            String runId = runId();
            String tail = seen(runId);
            boolean marked = await(redis.key().exists(MARKER));
            if (marked && tail == null) {
                return;
            }
            String token = workerId + ":" + UUID.randomUUID();
            if (await(redis.value(String.class).setGet(LOCK, token, new SetArgs().nx().ex(300)))
                    != null) {
                return;
            }
            boolean done = false;
            try {
                long start = System.nanoTime();
                Long from = marked ? Long.parseLong(tail) - TAIL_MARGIN.toMillis() : null;
                int restored = replay(from);
                // Redis may have been emptied again while the topic was replayed: then our lock is
                // gone with what we wrote before, and the marker must not say "restored"; the next
                // check replays again
                done =
                        await(
                                                RedisScripts.eval(
                                                        redis,
                                                        FINISH,
                                                        "4",
                                                        LOCK,
                                                        MARKER,
                                                        TAIL,
                                                        RUN,
                                                        token,
                                                        Long.toString(System.currentTimeMillis()),
                                                        tail == null ? "" : tail,
                                                        runId))
                                        .toInteger()
                                == 1;
                long ms = (System.nanoTime() - start) / 1_000_000;
                if (!done) {
                    LOG.warnf(
                            "Redis was emptied while %s was replayed; replaying it again",
                            Topics.RESULTS);
                } else if (from == null) {
                    LOG.infof(
                            "Redis had no results marker: replayed %s, restored %d job states in %d ms",
                            Topics.RESULTS, restored, ms);
                } else {
                    LOG.infof(
                            "Redis restarted or failed over (run id %s) and may lack its last"
                                    + " writes: replayed %s from %s, restored %d job states in %d ms",
                            runId, Topics.RESULTS, Instant.ofEpochMilli(from), restored, ms);
                }
            } finally {
                if (!done) {
                    await(RedisScripts.eval(redis, RELEASE, "1", LOCK, token));
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf(
                    "restoring results from %s failed, will retry: %s",
                    Topics.RESULTS, e.toString());
        }
    }

    /** The Redis server's run id, new at each start ({@code INFO server}). */
    private String runId() {
        String info = await(redis.execute("INFO", "server")).toString();
        return info.lines()
                .filter(l -> l.startsWith("run_id:"))
                .map(l -> l.substring("run_id:".length()).trim())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("INFO server gave no run_id"));
    }

    /**
     * Records {@code runId} as seen now; when another server's run id was recorded, first keeps the
     * time it was last seen as the start of a tail replay (unless one is due already: the earliest
     * stays). Returns the start of the tail replay due, or null. Plain commands, in an order that a
     * worker stopping between them leaves for the next check to finish.
     */
    private String seen(String runId) {
        var values = redis.value(String.class);
        String last = await(values.get(RUN));
        if (last != null) {
            int space = last.indexOf(' ');
            if (space > 0 && !last.substring(0, space).equals(runId)) {
                await(values.setnx(TAIL, last.substring(space + 1)));
            }
        }
        await(values.set(RUN, runId + " " + System.currentTimeMillis()));
        return await(values.get(TAIL));
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(10));
    }

    /**
     * Writes back every unexpired state of the results topic that Redis lacks, or holds older and
     * not terminal, from its records written since {@code from} (epoch ms; null: all of them);
     * returns how many it wrote.
     */
    int replay(Long from) {
        // every kafka.* setting (bootstrap servers, SASL, TLS), like the connector's own clients
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "rerank-results-restore");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        long now = System.currentTimeMillis();
        int restored = 0;
        int unreadable = 0;
        String firstUnreadable = null;
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(Topics.RESULTS, Duration.ofSeconds(10)).stream()
                            .map(p -> new TopicPartition(Topics.RESULTS, p.partition()))
                            .toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            if (from == null) {
                consumer.seekToBeginning(partitions);
            } else {
                Map<TopicPartition, Long> at = new HashMap<>();
                partitions.forEach(tp -> at.put(tp, from));
                Map<TopicPartition, OffsetAndTimestamp> found =
                        consumer.offsetsForTimes(at, Duration.ofSeconds(10));
                for (TopicPartition tp : partitions) {
                    OffsetAndTimestamp first = found.get(tp);
                    consumer.seek(tp, first != null ? first.offset() : end.get(tp));
                }
            }
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                List<Uni<Boolean>> writes = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) {
                        continue;
                    }
                    JobState s;
                    try {
                        s = JobCodec.decodeState(r.value());
                    } catch (IllegalArgumentException e) {
                        // one bad record must not keep every other result from coming back
                        unreadable++;
                        firstUnreadable =
                                firstUnreadable != null
                                        ? firstUnreadable
                                        : r.topic()
                                                + "-"
                                                + r.partition()
                                                + "@"
                                                + r.offset()
                                                + ": "
                                                + e.getMessage();
                        continue;
                    }
                    long left = s.finishedAt() + retention.toMillis() - now;
                    if (left > 0) {
                        writes.add(
                                store.apply(
                                                JobStateChanges.restored(
                                                        s,
                                                        Duration.ofMillis(Math.max(1_000, left))))
                                        .map(o -> o.applied()));
                    }
                }
                if (!writes.isEmpty()) {
                    restored +=
                            (int)
                                    Uni.join()
                                            .all(writes)
                                            .andFailFast()
                                            .await()
                                            .atMost(Duration.ofSeconds(60))
                                            .stream()
                                            .filter(Boolean::booleanValue)
                                            .count();
                }
            }
        }
        if (unreadable > 0) {
            LOG.warnf(
                    "skipped %d unreadable records of %s while restoring; the first: %s",
                    unreadable, Topics.RESULTS, firstUnreadable);
        }
        return restored;
    }
}
