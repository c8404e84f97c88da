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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Rebuilds job results in Redis from the {@code rerank.results} topic when Redis has lost them
 * (restart without persistence, failover, FLUSHALL). A marker key says Redis holds the replayed
 * results; when it is gone, one worker (holding a short lock) replays the topic and writes back
 * every state Redis lacks, never overwriting one it has.
 */
@ApplicationScoped
public class StateRestorer {

    static final String MARKER = "rerank:results-restored";
    static final String LOCK = "rerank:results-restore-lock";

    private static final Logger LOG = Logger.getLogger(StateRestorer.class);

    /**
     * Sets the marker and drops the lock, only if the lock is still ours (KEYS: lock, marker; ARGV:
     * token, time).
     */
    private static final String FINISH =
            """
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            redis.call('SET', KEYS[2], ARGV[2])
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
            if (await(redis.key().exists(MARKER))) {
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
                int restored = replay();
                // Redis may have been emptied again while the topic was replayed: then our lock is
                // gone with what we
                // wrote before, and the marker must not say "restored"; the next check replays
                // again
                done =
                        await(
                                                RedisScripts.eval(
                                                        redis,
                                                        FINISH,
                                                        "2",
                                                        LOCK,
                                                        MARKER,
                                                        token,
                                                        Long.toString(System.currentTimeMillis())))
                                        .toInteger()
                                == 1;
                if (done) {
                    LOG.infof(
                            "Redis had no results marker: replayed %s, restored %d job states in %d ms",
                            Topics.RESULTS, restored, (System.nanoTime() - start) / 1_000_000);
                } else {
                    LOG.warnf(
                            "Redis was emptied while %s was replayed; replaying it again",
                            Topics.RESULTS);
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

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(10));
    }

    /**
     * Writes back every unexpired state of the results topic that Redis lacks; returns how many it
     * wrote.
     */
    int replay() {
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
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
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
