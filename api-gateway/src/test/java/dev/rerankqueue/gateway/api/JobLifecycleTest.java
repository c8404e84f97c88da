package dev.rerankqueue.gateway.api;

import static dev.rerankqueue.testing.JobBuilder.aQueuedJob;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.TransitionOutcome;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Cancelling jobs and Idempotency-Key replays, against real Kafka and Redis. */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
class JobLifecycleTest {

    @Inject JobStore store;

    private static String submit(String body) {
        return given().contentType(ContentType.JSON)
                .body(body)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
    }

    @Test
    void cancelsAQueuedJobIdempotently() {
        String id = submit(JobSubmissionTest.BEIJING);
        given().delete("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("cancelled"))
                .body("error", equalTo("cancelled by the client"));
        given().delete("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("cancelled"));
        given().get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("cancelled"));
    }

    @Test
    void cancelsARunningJobSoThatItsResultIsRefused() {
        String id = submit(JobSubmissionTest.BEIJING);
        long running =
                store.apply(JobTransition.to(id, JobStatus.RUNNING))
                        .await()
                        .atMost(Duration.ofSeconds(5))
                        .version();
        given().delete("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("cancelled"));
        // the worker that was scoring it now loses its compare-and-set
        assertTrue(
                !store.apply(JobTransition.to(id, JobStatus.SUCCEEDED).expectVersion(running))
                        .await()
                        .atMost(Duration.ofSeconds(5))
                        .applied());
    }

    /**
     * A submission whose send timed out is marked never to run before its 503; but when a worker
     * already has the job (its record got to the topic after all), the mark must not apply: the job
     * runs, and the gateway answers 202 instead.
     */
    @Test
    void theNeverToRunMarkOfARefusalLosesToAWorkerThatHasTheJob() {
        RerankJob job = aQueuedJob().build();
        store.apply(JobStateChanges.startProcessing(job, "worker-1", 1L, Duration.ofMinutes(5)))
                .await()
                .atMost(Duration.ofSeconds(5));
        TransitionOutcome mark =
                store.apply(
                                JobStateChanges.neverToRun(
                                        job, 2L, "answered 503", Duration.ofMinutes(5)))
                        .await()
                        .atMost(Duration.ofSeconds(5));
        assertEquals(false, mark.applied(), "the mark cancelled a running job");
        assertEquals(JobStatus.RUNNING, mark.status());

        RerankJob unseen = aQueuedJob().build();
        assertEquals(
                JobStatus.CANCELLED,
                store.apply(
                                JobStateChanges.neverToRun(
                                        unseen, 2L, "answered 503", Duration.ofMinutes(5)))
                        .await()
                        .atMost(Duration.ofSeconds(5))
                        .status(),
                "a job no worker has is marked, so a late record of it never runs");
    }

    @Test
    void aFinishedJobCannotBeCancelled() {
        String id = submit(JobSubmissionTest.BEIJING);
        long v =
                store.apply(JobTransition.to(id, JobStatus.RUNNING))
                        .await()
                        .atMost(Duration.ofSeconds(5))
                        .version();
        store.apply(JobTransition.to(id, JobStatus.SUCCEEDED).expectVersion(v))
                .await()
                .atMost(Duration.ofSeconds(5));
        given().delete("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/job-already-finished"));
        given().delete("/v1/rerank/jobs/00000000-0000-0000-0000-0000000000ff")
                .then()
                .statusCode(404);
    }

    @Test
    void sameIdempotencyKeyAndBodyReplaysTheSameJob() {
        String key = "retry-" + System.nanoTime();
        String first =
                given().contentType(ContentType.JSON)
                        .header("Idempotency-Key", key)
                        .body(JobSubmissionTest.BEIJING)
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("id");
        // same request, other whitespace: still the same request
        String again =
                given().contentType(ContentType.JSON)
                        .header("Idempotency-Key", key)
                        .body(JobSubmissionTest.BEIJING.replace(",", " , "))
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202)
                        .header("Idempotent-Replayed", "true")
                        .extract()
                        .path("id");
        assertEquals(first, again);
        long records =
                InfrastructureResource.kafka().readAll(Topics.JOBS).stream()
                        .filter(r -> r.key().equals(first))
                        .count();
        assertEquals(1, records, "a replay produces nothing");
    }

    @Test
    void sameIdempotencyKeyWithAnotherBodyIs422() {
        String key = "reuse-" + System.nanoTime();
        String first =
                given().contentType(ContentType.JSON)
                        .header("Idempotency-Key", key)
                        .body(JobSubmissionTest.BEIJING)
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("id");
        given().contentType(ContentType.JSON)
                .header("Idempotency-Key", key)
                .body("{\"query\":\"another\",\"documents\":[\"a\"]}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/idempotency-key-reused"))
                .body("job_id", equalTo(first));
    }

    @Test
    void idempotencyKeysMustBePrintable() {
        given().contentType(ContentType.JSON)
                .header("Idempotency-Key", "has space")
                .body(JobSubmissionTest.BEIJING)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(422)
                .body("detail", containsString("Idempotency-Key"));
    }
}
