package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** GET /v1/rerank/jobs: a tenant's jobs, newest first, by page, filtered by status and metadata. */
@QuarkusTest
@QuarkusTestResource(InfrastructureResource.class)
class JobListTest {

    private static String submit(String run) {
        String metadata = run == null ? "" : ",\"metadata\":{\"run\":\"" + run + "\"}";
        return given().contentType(ContentType.JSON)
                .body("{\"query\":\"q\",\"documents\":[\"a\",\"b\"]" + metadata + "}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
    }

    @Test
    void pagesThroughOnesJobsNewestFirstFilteredByMetadata() throws Exception {
        String run = "run-" + UUID.randomUUID();
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            mine.add(submit(run));
            Thread.sleep(2); // distinct creation times, so "newest first" is one order
            submit(null); // not of this run
        }
        JsonPath first =
                given().queryParam("metadata[run]", run)
                        .queryParam("limit", 2)
                        .get("/v1/rerank/jobs")
                        .then()
                        .statusCode(200)
                        .body("object", equalTo("list"))
                        .extract()
                        .jsonPath();
        assertEquals(List.of(mine.get(2), mine.get(1)), first.getList("data.id"));
        assertEquals(mine.get(2), first.getString("first_id"));
        assertTrue(first.getBoolean("has_more"));
        assertEquals(run, first.getString("data[0].metadata.run"));
        assertTrue(first.getString("data[0].expires_at") != null);

        JsonPath second =
                given().queryParam("metadata[run]", run)
                        .queryParam("limit", 2)
                        .queryParam("after", first.getString("last_id"))
                        .get("/v1/rerank/jobs")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
        assertEquals(List.of(mine.get(0)), second.getList("data.id"));
        assertFalse(second.getBoolean("has_more"), "nothing older matches");

        List<String> queuedOrLater =
                given().queryParam("metadata[run]", run)
                        .queryParam("status", "cancelled")
                        .get("/v1/rerank/jobs")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("data.id");
        assertEquals(List.of(), queuedOrLater, "none of them was cancelled");
    }

    @Inject JobStore store;

    /** A page of many jobs never carries their results unless asked: they can be megabytes each. */
    @Test
    void listItemsCarryResultsOnlyWhenAsked() {
        String run = "run-" + UUID.randomUUID();
        String id = submit(run);
        BatchTest.succeed(store, id);
        given().queryParam("metadata[run]", run)
                .get("/v1/rerank/jobs")
                .then()
                .statusCode(200)
                .body("data[0].id", equalTo(id))
                .body("data[0].status", equalTo("succeeded"))
                .body("data[0].results", nullValue());
        given().queryParam("metadata[run]", run)
                .queryParam("results", "true")
                .get("/v1/rerank/jobs")
                .then()
                .statusCode(200)
                .body("data[0].results[0].index", equalTo(1));
        given().get("/v1/rerank/jobs/" + id).then().body("results[0].index", equalTo(1));
    }

    /**
     * 1,200 jobs created in one millisecond (a bulk request can do that): paging goes through all
     * of them, rather than finding nothing after the first 1,000 and saying there is more.
     */
    @Test
    void pagesGoOnThroughJobsCreatedInTheSameMillisecond() {
        String tenant = "ties-" + UUID.randomUUID();
        String created = Long.toString(System.currentTimeMillis());
        Set<String> all = new HashSet<>();
        for (int i = 0; i < 1_200; i++) {
            String id = UUID.randomUUID().toString();
            all.add(id);
            store.apply(
                            JobTransition.create(
                                            id,
                                            JobStatus.QUEUED,
                                            Map.of(
                                                    JobFields.TENANT,
                                                    tenant,
                                                    JobFields.CREATED_AT,
                                                    created))
                                    .retainFor(Duration.ofMinutes(10)))
                    .await()
                    .atMost(Duration.ofSeconds(5));
        }
        Set<String> seen = new HashSet<>();
        String after = null;
        for (int page = 0; page < 20; page++) {
            JobStore.Page p =
                    store.list(tenant, after, 100, 1000, null, false, Map.of())
                            .await()
                            .atMost(Duration.ofSeconds(5));
            p.jobs().forEach(j -> seen.add(j.id()));
            if (!p.hasMore()) {
                break;
            }
            assertTrue(p.lastId() != null, "page " + page + " says there is more but not where");
            after = p.lastId();
        }
        assertEquals(all, seen);
    }

    @Test
    void badParametersAreRefusedWithWhatIsValid() {
        given().queryParam("status", "done")
                .get("/v1/rerank/jobs")
                .then()
                .statusCode(422)
                .body("detail", containsString("succeeded"));
        given().queryParam("limit", 0).get("/v1/rerank/jobs").then().statusCode(422);
        given().queryParam("colour", "red")
                .get("/v1/rerank/jobs")
                .then()
                .statusCode(422)
                .body("detail", containsString("metadata[KEY]=VALUE"));
        given().queryParam("after", UUID.randomUUID().toString())
                .get("/v1/rerank/jobs")
                .then()
                .statusCode(404)
                .body("type", equalTo("/problems/job-not-found"));
    }
}
