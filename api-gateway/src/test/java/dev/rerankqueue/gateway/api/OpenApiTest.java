package dev.rerankqueue.gateway.api;

import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The published API description lists every public endpoint with its methods. */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
class OpenApiTest {

    @Test
    void everyEndpointIsDescribed() {
        JsonPath doc = given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath();
        Map<String, Map<String, Object>> paths = doc.getMap("paths");
        Map<String, List<String>> expected = Map.of(
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
        expected.forEach((path, methods) -> {
            assertTrue(paths.containsKey(path), path + " missing from " + paths.keySet());
            for (String m : methods) {
                assertTrue(paths.get(path).containsKey(m), m + " " + path + " missing");
            }
        });
        given().get("/q/swagger-ui/").then().statusCode(200);
    }
}
