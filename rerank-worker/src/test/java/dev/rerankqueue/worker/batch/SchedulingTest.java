package dev.rerankqueue.worker.batch;

import static dev.rerankqueue.testing.JobBuilder.aQueuedJob;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import dev.rerankqueue.testing.JobBuilder;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The order in which a worker sends waiting work to the model server: tenants take turns (a job of
 * a quiet tenant is not queued behind another tenant's big job), and a job whose deadline passes
 * while it waits for the scorer is never sent. Against the vLLM emulator of {@link VllmWorkerTest}
 * (two scorer slots, 64 pairs a call, 32 sequences a forward pass), slowed down so that calls wait.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
@WithTestResource(VllmWorkerTest.Emulator.class)
class SchedulingTest {

    @Inject RedisDataSource redis;

    /**
     * Full speed again, and nothing of a cancelled job left at the model server for the next test.
     */
    @AfterEach
    void fullSpeedAndIdle() {
        VllmWorkerTest.Emulator.emulator.timeScale(1.0);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () ->
                                VllmWorkerTest.Emulator.emulator.stats().get("running").asInt() == 0
                                        && VllmWorkerTest.Emulator.emulator
                                                        .stats()
                                                        .get("waiting")
                                                        .asInt()
                                                == 0);
    }

    @Test
    void aQuietTenantsJobIsNotQueuedBehindAnotherTenantsBigJob() {
        VllmWorkerTest.Emulator.emulator.timeScale(60);
        RerankJob big = job("flood", "capital of Chile", 640, null);
        RerankJob small = job("calm", "capital of Peru", 2, null);
        long before = modelPairs();
        produce(big);
        awaitModelPairs(before + 1);
        produce(small);
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> stateOf(small) != null && stateOf(small).status().isTerminal());
        long scoredOfBig = modelPairs() - before - 2;
        cancel(big);
        System.out.printf(
                "a 2-pair job of one tenant ended after %d of another tenant's 640 pairs%n",
                scoredOfBig);
        assertEquals(JobStatus.SUCCEEDED, stateOf(small).status());
        assertTrue(
                scoredOfBig <= 640 - 2 * 64,
                "the quiet tenant's job waited for "
                        + scoredOfBig
                        + " of the other tenant's 640 pairs; it should wait for one call or two: "
                        + stateOf(small));
    }

    @Test
    void aJobWhoseDeadlinePassesWhileItWaitsForTheScorerIsNeverSent() {
        VllmWorkerTest.Emulator.emulator.timeScale(300);
        RerankJob big = job("acme", "capital of Chile", 256, null);
        long before = modelPairs();
        produce(big);
        awaitModelPairs(before + 1);
        // both scorer slots hold calls of the big job for seconds yet
        RerankJob urgent = job("acme", "capital of Peru", 2, 1_500L);
        produce(urgent);
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> stateOf(urgent) != null && stateOf(urgent).status().isTerminal());
        cancel(big);
        JobState s = stateOf(urgent);
        assertTrue(
                s.startedAt() > 0,
                "claimed before its deadline, so it waited at the scorer, not in Kafka: " + s);
        assertEquals(JobStatus.EXPIRED, s.status(), "its deadline passed while it waited: " + s);
    }

    @Test
    void aTenantsUrgentJobPolledWithItsBigJobIsRecordedWithoutWaitingForIt() {
        VllmWorkerTest.Emulator.emulator.timeScale(60);
        RerankJob big = job("acme", "capital of Chile", 256, null);
        RerankJob urgent = job("acme", "capital of Peru", 2, 60_000L);
        // one partition, one send: the two jobs reach the worker in the same batch
        InfrastructureResource.kafka()
                .companion()
                .produce(String.class, byte[].class)
                .fromRecords(
                        new ProducerRecord<>(Topics.JOBS, 0, big.id(), JobCodec.encodeJob(big)),
                        new ProducerRecord<>(
                                Topics.JOBS, 0, urgent.id(), JobCodec.encodeJob(urgent)))
                .awaitCompletion();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> stateOf(urgent) != null && stateOf(urgent).status().isTerminal());
        JobState bigWhenUrgentEnded = stateOf(big);
        cancel(big);
        assertEquals(JobStatus.SUCCEEDED, stateOf(urgent).status());
        assertTrue(
                !bigWhenUrgentEnded.status().isTerminal(),
                "the urgent job's result waited for the big job's 256 pairs (the big job ended "
                        + bigWhenUrgentEnded.status().wireName()
                        + " before it)");
    }

    private static RerankJob job(String tenant, String query, int documents, Long deadlineMs) {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < documents; i++) {
            docs.add("document " + i + " about the " + query);
        }
        JobBuilder b =
                aQueuedJob()
                        .forTenant(tenant)
                        .withQuery(query + " " + System.nanoTime())
                        .withDocuments(docs);
        return (deadlineMs == null ? b : b.withDeadlineMs(deadlineMs)).build();
    }

    private static void produce(RerankJob job) {
        InfrastructureResource.kafka()
                .companion()
                .produce(String.class, byte[].class)
                .fromRecords(new ProducerRecord<>(Topics.JOBS, job.id(), JobCodec.encodeJob(job)))
                .awaitCompletion();
    }

    private static long modelPairs() {
        return VllmWorkerTest.Emulator.emulator.stats().get("pairs").asLong();
    }

    private static void awaitModelPairs(long atLeast) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> modelPairs() >= atLeast);
    }

    private void cancel(RerankJob job) {
        redis.execute(
                "EVAL",
                JobTransition.to(job.id(), JobStatus.CANCELLED)
                        .set(JobFields.FINISHED_AT, System.currentTimeMillis())
                        .evalArgs());
    }

    private JobState stateOf(RerankJob job) {
        return JobFields.toState(
                job.id(), redis.hash(String.class).hgetall(RedisKeys.job(job.id())));
    }
}
