package dev.rerankqueue.gateway.sse;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many clients open the event streams of their jobs at once (the jobs of two bulk requests, as a
 * fan-out would): every stream opens and gets its result. The gateway's Redis pool (32 connections,
 * 1,024 waiting) is what refused streams when each opened with reads of its own; the figure at
 * 10,000 streams is in docs/reliability.md.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
@TestProfile(SseAtScaleTest.ManyStreams.class)
class SseAtScaleTest {

    static final int STREAMS = Integer.getInteger("sse.streams", 2_000);

    public static class ManyStreams implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "rerank.quotas.max-sse-connections",
                    "20000",
                    "rerank.quotas.max-in-flight-jobs",
                    "0",
                    "rerank.admission.enabled",
                    "false");
        }
    }

    @Inject JobStore store;

    @TestHTTPResource("/")
    URL base;

    @Test
    void twoThousandStreamsOpenedAtOnceAllGetTheirResult() throws Exception {
        String job = "{\"query\":\"fan-out\",\"documents\":[\"a\",\"b\"]}";
        int perBatch = Math.min(1_000, STREAMS); // rerank.limits.max-batch-jobs
        String batch = "{\"jobs\":[" + String.join(",", Collections.nCopies(perBatch, job)) + "]}";
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < STREAMS / perBatch; i++) {
            ids.addAll(
                    given().urlEncodingEnabled(false)
                            .contentType(ContentType.JSON)
                            .body(batch)
                            .post("/v1/rerank/jobs:batch")
                            .then()
                            .statusCode(202)
                            .extract()
                            .path("jobs.id"));
        }
        assertEquals(STREAMS, ids.size());

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (String id : ids) {
            streams.add(
                    http.sendAsync(
                            HttpRequest.newBuilder(
                                            URI.create(base + "v1/rerank/jobs/" + id + "/events"))
                                    .timeout(Duration.ofSeconds(120))
                                    .header("accept", "text/event-stream")
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()));
        }
        JobResult result =
                new JobResult(
                        "test-model",
                        List.of(new RankedDocument(0, 0.9, null), new RankedDocument(1, 0.1, null)),
                        new JobResult.Usage(2, 20),
                        3);
        // the workers finish the jobs, 16 writes at a time, as their consumers would
        Multi.createFrom()
                .iterable(ids)
                .onItem()
                .transformToUni(
                        id ->
                                store.apply(JobTransition.to(id, JobStatus.RUNNING))
                                        .chain(
                                                running ->
                                                        store.apply(
                                                                JobTransition.to(
                                                                                id,
                                                                                JobStatus.SUCCEEDED)
                                                                        .expectVersion(
                                                                                running.version())
                                                                        .set(
                                                                                JobFields
                                                                                        .FINISHED_AT,
                                                                                System
                                                                                        .currentTimeMillis())
                                                                        .set(
                                                                                JobFields.RESULT,
                                                                                JobCodec
                                                                                        .encodeResult(
                                                                                                result)))))
                .merge(16)
                .collect()
                .last()
                .await()
                .atMost(Duration.ofSeconds(120));

        Map<Integer, Integer> byStatus = new TreeMap<>();
        int withResult = 0;
        List<String> refusals = new ArrayList<>();
        long opened = System.nanoTime();
        for (CompletableFuture<HttpResponse<String>> s : streams) {
            HttpResponse<String> r = s.get(120, TimeUnit.SECONDS);
            byStatus.merge(r.statusCode(), 1, Integer::sum);
            if (r.statusCode() == 200
                    && r.body().lines().anyMatch(l -> l.matches("event: ?result"))) {
                withResult++;
            } else if (refusals.size() < 3) {
                refusals.add(r.statusCode() + " " + r.body());
            }
        }
        System.out.printf(
                "%d event streams opened at once: %s by status, %d with their result, the last %d ms after the jobs finished%n",
                STREAMS, byStatus, withResult, (System.nanoTime() - opened) / 1_000_000);
        assertEquals(
                Map.of(200, STREAMS), byStatus, "streams by status; first refusals: " + refusals);
        assertEquals(
                STREAMS,
                withResult,
                "every stream delivered its result; first failures: " + refusals);
    }
}
