package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The published API description lists every public endpoint with its methods. */
@QuarkusTest
@SuppressWarnings("unchecked")
@WithTestResource(InfrastructureResource.class)
class OpenApiTest {

    @Test
    void everyEndpointIsDescribed() {
        JsonPath doc =
                given().accept("application/json")
                        .get("/q/openapi?format=json")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
        Map<String, Map<String, Object>> paths = doc.getMap("paths");
        Map<String, List<String>> expected =
                Map.of(
                        "/v1/rerank/jobs", List.of("post"),
                        "/v1/rerank/jobs/{id}", List.of("get", "delete"),
                        "/v1/rerank/jobs/{id}/events", List.of("get"),
                        "/v1/rerank/jobs:batch", List.of("post"),
                        "/v1/rerank/batches/{id}", List.of("get"),
                        "/v1/rerank/batches/{id}/events", List.of("get"),
                        "/v1/rerank", List.of("post"),
                        "/v2/rerank", List.of("post"),
                        "/rerank", List.of("post"),
                        "/v1/models", List.of("get"));
        for (String score : List.of("/score", "/v1/score")) {
            assertTrue(
                    paths.containsKey(score) && paths.get(score).containsKey("post"),
                    "post " + score + " missing");
        }
        expected.forEach(
                (path, methods) -> {
                    assertTrue(paths.containsKey(path), path + " missing from " + paths.keySet());
                    for (String m : methods) {
                        assertTrue(paths.get(path).containsKey(m), m + " " + path + " missing");
                    }
                });
        given().get("/q/swagger-ui/").then().statusCode(200);
    }

    @Test
    void everyEndpointHasExamplesAndEveryErrorTypeIsShown() {
        JsonPath doc =
                given().accept("application/json")
                        .get("/q/openapi?format=json")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
        Map<String, Map<String, Map<String, Object>>> paths = doc.getMap("paths");
        Set<String> problemTypes = new TreeSet<>();
        paths.forEach(
                (path, ops) ->
                        ops.forEach(
                                (method, op) -> {
                                    if (!(op instanceof Map)
                                            || !path.startsWith("/v")
                                                    && !path.equals("/rerank")
                                                    && !path.equals("/score")) {
                                        return;
                                    }
                                    Map<String, Map<String, Object>> responses =
                                            (Map<String, Map<String, Object>>) op.get("responses");
                                    String where = method + " " + path;
                                    assertTrue(
                                            responses.keySet().stream()
                                                    .anyMatch(s -> s.startsWith("2")),
                                            where + " has a success response");
                                    responses.forEach(
                                            (status, r) -> {
                                                Map<String, Map<String, Object>> content =
                                                        (Map<String, Map<String, Object>>)
                                                                r.get("content");
                                                assertTrue(
                                                        content != null
                                                                && content.values().stream()
                                                                        .anyMatch(
                                                                                m ->
                                                                                        m.get(
                                                                                                        "examples")
                                                                                                != null),
                                                        where
                                                                + " "
                                                                + status
                                                                + " has an example: "
                                                                + r);
                                                if (!status.startsWith("2")) {
                                                    Map<String, Object> media =
                                                            content.containsKey(
                                                                            "application/problem+json")
                                                                    ? content.get(
                                                                            "application/problem+json")
                                                                    : content.get(
                                                                            "application/json");
                                                    Map<String, Map<String, Object>> examples =
                                                            (Map<String, Map<String, Object>>)
                                                                    media.get("examples");
                                                    examples.values()
                                                            .forEach(
                                                                    e -> {
                                                                        Map<String, Object>
                                                                                problem =
                                                                                        (Map<
                                                                                                        String,
                                                                                                        Object>)
                                                                                                e
                                                                                                        .get(
                                                                                                                "value");
                                                                        assertEquals(
                                                                                Integer.parseInt(
                                                                                        status),
                                                                                problem.get(
                                                                                        "status"),
                                                                                where + " " + e);
                                                                        problemTypes.add(
                                                                                (String)
                                                                                        problem.get(
                                                                                                "type"));
                                                                    });
                                                }
                                            });
                                    if ("post".equals(method)) {
                                        Map<String, Object> body =
                                                (Map<String, Object>)
                                                        ((Map<String, Map<String, Object>>)
                                                                        ((Map<String, Object>)
                                                                                        op.get(
                                                                                                "requestBody"))
                                                                                .get("content"))
                                                                .get("application/json");
                                        assertTrue(
                                                body != null && body.get("examples") != null,
                                                where + " has a request example");
                                    }
                                }));
        for (String type :
                List.of(
                        "malformed-json",
                        "unauthorized",
                        "job-not-found",
                        "batch-not-found",
                        "job-already-finished",
                        "idempotency-in-progress",
                        "body-too-large",
                        "invalid-request",
                        "idempotency-key-reused",
                        "quota-exceeded",
                        "backlog-full",
                        "queue-unavailable",
                        "store-unavailable",
                        "sync-timeout",
                        "job-failed",
                        "model-not-found",
                        "model-not-ready")) {
            assertTrue(
                    problemTypes.contains("/problems/" + type),
                    type + " missing from " + problemTypes);
        }
    }
}
