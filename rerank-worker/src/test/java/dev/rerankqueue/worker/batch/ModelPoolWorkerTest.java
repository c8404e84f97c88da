package dev.rerankqueue.worker.batch;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.ScorerCapacityAnnouncement;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * A worker in a model pool of its own ({@code rerank.worker.pool}): it reads only its pool's jobs
 * topics, in its pool's consumer group, and announces its model with the pool, so that gateways
 * send it only the jobs of its model.
 */
@QuarkusTest
@TestProfile(ModelPoolWorkerTest.SecondPool.class)
@WithTestResource(ModelPoolWorkerTest.WithSecondPool.class)
class ModelPoolWorkerTest {

    static final ModelPool POOL = ModelPool.of("second");
    static final String MODEL = "test/second-reranker";

    public static class SecondPool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "rerank.worker.pool",
                    POOL.name(),
                    "rerank.worker.scorer.onnx.model-name",
                    MODEL,
                    "rerank.worker.capacity.pairs-per-second",
                    "50");
        }
    }

    /**
     * The test broker and Redis, with the second pool's topics created before the worker starts.
     */
    public static class WithSecondPool extends InfrastructureResource {
        @Override
        public synchronized Map<String, String> start() {
            Map<String, String> config = super.start();
            kafka().createPool(POOL);
            return config;
        }
    }

    @Inject RedisDataSource redis;

    @Test
    void scoresItsPoolsJobsOnlyAndAnnouncesItsPool() throws Exception {
        RerankJob own = JobConsumerTest.beijing();
        RerankJob other = JobConsumerTest.beijing();
        produce(POOL.jobs(Priority.INTERACTIVE), own);
        produce(Topics.JOBS, other);
        JobState scored = awaitTerminal(own.id());
        assertEquals(JobStatus.SUCCEEDED, scored.status());
        assertEquals(MODEL, scored.result().model());
        // announced every 5 s
        await().atMost(Duration.ofSeconds(10))
                .until(
                        () ->
                                POOL.name()
                                        .equals(
                                                redis.hash(String.class)
                                                        .hget(RedisKeys.MODEL_POOLS, MODEL)));
        await().atMost(Duration.ofSeconds(10))
                .until(
                        () ->
                                redis
                                        .hash(String.class)
                                        .hgetall(RedisKeys.workerCapacity(POOL))
                                        .values()
                                        .stream()
                                        .map(ScorerCapacityAnnouncement::parse)
                                        .flatMap(Optional::stream)
                                        .anyMatch(a -> a.pairsPerSecond() == 50));
        assertTrue(
                redis.hash(String.class).hgetall(RedisKeys.WORKER_CAPACITY).isEmpty(),
                "nothing announced for the default pool");
        // the default pool's job stays queued: a batch of this worker took the own job long
        // after, and the default pool's group has no commit
        assertNull(state(other.id()), "the default pool's job was not touched");
        await().atMost(Duration.ofSeconds(10)).until(() -> committed(POOL.group()) > 0);
        assertTrue(
                given().get("/q/metrics")
                        .asString()
                        .contains(
                                "rerank_jobs_finished_total{lane=\"interactive\",pool=\"second\",status=\"succeeded\"} 1.0"),
                "the worker's metrics carry its pool");
        assertEquals(0, committed(Topics.WORKER_GROUP), "nothing read in the default pool's group");
    }

    private static void produce(String topic, RerankJob job) {
        InfrastructureResource.kafka()
                .companion()
                .produce(String.class, byte[].class)
                .fromRecords(new ProducerRecord<>(topic, job.id(), JobCodec.encodeJob(job)))
                .awaitCompletion();
    }

    /** The sum of {@code group}'s committed offsets. */
    private static long committed(String group) throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                InfrastructureResource.kafka().bootstrapServers()))) {
            return admin
                    .listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS)
                    .values()
                    .stream()
                    .mapToLong(OffsetAndMetadata::offset)
                    .sum();
        }
    }

    private JobState state(String id) {
        return JobFields.toState(id, redis.hash(String.class).hgetall(RedisKeys.job(id)));
    }

    private JobState awaitTerminal(String id) {
        await().atMost(Duration.ofSeconds(60))
                .until(
                        () -> {
                            JobState s = state(id);
                            return s != null && s.status().isTerminal();
                        });
        return state(id);
    }
}
