package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.auth.ApiKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/** With API keys configured: every API call needs a key, and a tenant sees only its own jobs. */
@QuarkusTest
@TestProfile(ApiKeyTest.WithKeys.class)
@WithTestResource(InfrastructureResource.class)
class ApiKeyTest {

    /** acme has a plain key; globex's is configured in hashed form only. */
    public static class WithKeys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rerank.api-keys", "acme:acme-key-1,globex:" + ApiKeys.hashed("globex-key-2"));
        }
    }

    private static String submitAs(String key) {
        return given().contentType(ContentType.JSON).header("Authorization", "Bearer " + key).body(JobSubmissionTest.BEIJING)
                .post("/v1/rerank/jobs").then().statusCode(202).extract().path("id");
    }

    @Test
    void aMissingOrWrongKeyIs401() {
        given().contentType(ContentType.JSON).body(JobSubmissionTest.BEIJING).post("/v1/rerank/jobs")
                .then().statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer")
                .body("type", equalTo("/problems/unauthorized"));
        given().contentType(ContentType.JSON).header("Authorization", "Bearer nope").body(JobSubmissionTest.BEIJING)
                .post("/v2/rerank").then().statusCode(401);
        given().get("/v1/rerank/jobs/00000000-0000-0000-0000-000000000000").then().statusCode(401);
    }

    @Test
    void healthAndMetricsStayOpen() {
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
    }

    @Test
    void eachTenantSeesOnlyItsOwnJobs() {
        String acmeJob = submitAs("acme-key-1");
        given().header("Authorization", "Bearer acme-key-1").get("/v1/rerank/jobs/" + acmeJob).then().statusCode(200);
        // another tenant gets exactly what an unknown id gets: no hint that the job exists
        given().header("Authorization", "Bearer globex-key-2").get("/v1/rerank/jobs/" + acmeJob)
                .then().statusCode(404).body("type", equalTo("/problems/job-not-found"));
        given().header("Authorization", "Bearer globex-key-2").accept("text/event-stream")
                .get("/v1/rerank/jobs/" + acmeJob + "/events").then().statusCode(404);
        given().header("Authorization", "Bearer globex-key-2").delete("/v1/rerank/jobs/" + acmeJob).then().statusCode(404);
        given().header("Authorization", "Bearer acme-key-1").get("/v1/rerank/jobs/" + acmeJob)
                .then().statusCode(200).body("status", equalTo("queued"));
    }

    @Test
    void theHashedKeyFormAndTheXApiKeyHeaderWork() {
        String id = submitAs("globex-key-2");
        given().header("X-API-Key", "globex-key-2").get("/v1/rerank/jobs/" + id).then().statusCode(200);
    }
}
