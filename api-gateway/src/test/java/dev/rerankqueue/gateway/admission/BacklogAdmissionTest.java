package dev.rerankqueue.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.ScorerCapacityAnnouncement;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Admission control against a real broker: with a consumer group that does not drain, new jobs are
 * refused with 503 once the estimate says the backlog will not drain in time; when the group
 * commits (as workers do), jobs are accepted again.
 */
@QuarkusTest
@TestProfile(BacklogAdmissionTest.Tight.class)
@WithTestResource(InfrastructureResource.class)
class BacklogAdmissionTest {

    static final String GROUP = "admission-test-workers";

    /** Tiny thresholds so a handful of jobs make a backlog; the group is this test's own. */
    public static class Tight implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "rerank.admission.consumer-group", GROUP,
                    "rerank.admission.min-backlog-jobs", "2",
                    "rerank.admission.sample-interval", "100ms",
                    "rerank.admission.rate-window", "900ms",
                    "rerank.admission.max-backlog", "10s",
                    "rerank.admission.max-retry-after", "45s");
        }
    }

    private static final String JOB =
            """
            {"query":"capital of France","documents":["Paris is the capital of France.","Bread."]}""";

    private static Response submit() {
        return given().contentType(ContentType.JSON).body(JOB).post("/v1/rerank/jobs");
    }

    @Test
    void aBacklogThatDoesNotDrainIsRefusedWithRetryAfterAndReopensWhenWorkersCommit()
            throws Exception {
        submit().then().statusCode(202);
        submit().then().statusCode(202);
        // nobody drains: after a third of the rate window of busy time the rate is 0 and the
        // backlog is "forever"
        AtomicReference<Response> refused = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () -> {
                            Response r = submit();
                            if (r.statusCode() == 503) {
                                refused.set(r);
                                return true;
                            }
                            assertEquals(202, r.statusCode(), r.asString());
                            return false;
                        });
        refused.get()
                .then()
                .contentType("application/problem+json")
                .header("Retry-After", "45")
                .body("type", equalTo("/problems/backlog-full"))
                .body("detail", containsString("not draining"))
                .body("detail", containsString("NOT accepted"));
        String metrics =
                given().get("/q/metrics")
                        .then()
                        .body(
                                containsString(
                                        "rerank_requests_rejected_total{reason=\"backlog-full\""))
                        .extract()
                        .asString();
        double jobs = gauge(metrics, "rerank_backlog_jobs{lane=\"interactive\",pool=\"default\"}");
        assertTrue(jobs >= 2, metrics);
        assertEquals(
                2 * jobs,
                gauge(metrics, "rerank_backlog_pairs{lane=\"interactive\",pool=\"default\"}"),
                0.001,
                "every job here has 2 documents");

        commitEverything(GROUP);
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> submit().statusCode() == 202);
    }

    @Test
    void aBatchLaneBacklogDoesNotCloseTheInteractiveLane() throws Exception {
        String batchJob = JOB.replaceFirst("\\{", "{\"priority\":\"batch\",");
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () ->
                                given().contentType(ContentType.JSON)
                                                .body(batchJob)
                                                .post("/v1/rerank/jobs")
                                                .statusCode()
                                        == 503);
        // interactive jobs are scored before the batch lane's: they wait only for the (empty)
        // interactive backlog
        submit().then().statusCode(202);
        commitEverything(GROUP);
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () ->
                                given().contentType(ContentType.JSON)
                                                .body(batchJob)
                                                .post("/v1/rerank/jobs")
                                                .statusCode()
                                        == 202);
        commitEverything(GROUP);
    }

    static double gauge(String metrics, String series) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series.substring(0, series.length() - 1))) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError(series + " not exported");
    }

    /**
     * What a worker group does after scoring everything: commit the end of every partition of both
     * lanes.
     */
    /** What a worker of {@code model} in {@code pool} announces: the model is served there. */
    static void serve(RedisDataSource redis, String model, ModelPool pool) {
        redis.hash(String.class).hset(RedisKeys.MODEL_POOLS, model, pool.name());
        redis.hash(String.class)
                .hset(RedisKeys.SERVED_MODELS, model, Long.toString(System.currentTimeMillis()));
    }

    /**
     * Announces one worker's capacity of {@code pairs} pairs per second and waits until the
     * gateway's gauge shows it.
     */
    static AutoCloseable announce(RedisDataSource redis, String worker, int pairs) {
        // said again every second, as a live worker does: an announcement older than 10 s no
        // longer counts, and a test on slow shared cores may outlast one
        Runnable say =
                () ->
                        redis.hash(String.class)
                                .hset(
                                        RedisKeys.WORKER_CAPACITY,
                                        worker,
                                        new ScorerCapacityAnnouncement(
                                                        System.currentTimeMillis(), pairs)
                                                .wire());
        say.run();
        ScheduledExecutorService beat = Executors.newSingleThreadScheduledExecutor();
        beat.scheduleAtFixedRate(say, 1, 1, TimeUnit.SECONDS);
        AutoCloseable stop =
                () -> {
                    beat.shutdownNow();
                    beat.awaitTermination(5, TimeUnit.SECONDS);
                    redis.hash(String.class).hdel(RedisKeys.WORKER_CAPACITY, worker);
                };
        await().atMost(Duration.ofSeconds(10))
                .until(
                        () ->
                                gauge(
                                                RestAssured.given().get("/q/metrics").asString(),
                                                "rerank_workers_capacity_pairs{pool=\"default\"}")
                                        == pairs);
        return stop;
    }

    static void commitEverything(String group) throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                InfrastructureResource.kafka().bootstrapServers()))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(Topics.JOB_TOPICS)
                    .allTopicNames()
                    .get(10, TimeUnit.SECONDS)
                    .forEach(
                            (topic, d) ->
                                    d.partitions()
                                            .forEach(
                                                    p ->
                                                            latest.put(
                                                                    new TopicPartition(
                                                                            topic, p.partition()),
                                                                    OffsetSpec.latest())));
            Map<TopicPartition, OffsetAndMetadata> ends = new HashMap<>();
            admin.listOffsets(latest)
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .forEach((tp, info) -> ends.put(tp, new OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(group, ends).all().get(10, TimeUnit.SECONDS);
        }
    }
}
