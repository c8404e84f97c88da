package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a client switching from vLLM, Cohere, Jina or TEI meets at the edges: a model name no worker
 * serves, a name asked for before any worker has said what it serves, and errors read the way each
 * family's client reads them.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
class DropInCompatibilityTest {

    static final String SERVED = "Qwen/Qwen3-Reranker-0.6B";

    @Inject ReactiveRedisDataSource redis;

    @BeforeEach
    void aWorkerServesOneModel() {
        announce(Map.of(SERVED, System.currentTimeMillis()));
    }

    private void announce(Map<String, Long> models) {
        redis.key().del(RedisKeys.SERVED_MODELS).await().atMost(Duration.ofSeconds(5));
        models.forEach(
                (m, at) ->
                        redis.hash(String.class)
                                .hset(RedisKeys.SERVED_MODELS, m, Long.toString(at))
                                .await()
                                .atMost(Duration.ofSeconds(5)));
    }

    private static String job(String model) {
        return "{"
                + (model == null ? "" : "\"model\":\"" + model + "\",")
                + "\"query\":\"q\",\"documents\":[\"a\",\"b\"]}";
    }

    @Test
    void aModelNoWorkerServesIs404AsVllmAndCohereAnswer() {
        given().contentType(ContentType.JSON)
                .body(job("BAAI/bge-reranker-v2-m3"))
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/model-not-found"))
                .body("detail", containsString("BAAI/bge-reranker-v2-m3"))
                .body("detail", containsString(SERVED));
        for (String path : new String[] {"/v1/rerank", "/v2/rerank", "/rerank"}) {
            given().contentType(ContentType.JSON)
                    .body(job("BAAI/bge-reranker-v2-m3"))
                    .post(path)
                    .then()
                    .statusCode(404)
                    .body("error.message", containsString("BAAI/bge-reranker-v2-m3"));
        }
    }

    @Test
    void theServedNameItsAliasesAndNoNameAreAccepted() {
        for (String model : new String[] {SERVED, "rerank-v3.5", "default", null}) {
            given().contentType(ContentType.JSON)
                    .body(job(model))
                    .post("/v1/rerank/jobs")
                    .then()
                    .statusCode(202);
        }
    }

    @Test
    void beforeAnyWorkerHasAnnouncedANamedModelIsNotUnknownYet() {
        announce(Map.of());
        given().contentType(ContentType.JSON)
                .body(job(SERVED))
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(503)
                .header("Retry-After", notNullValue())
                .body("type", equalTo("/problems/model-not-ready"));
        // a request that names no model still queues: the first worker to start will score it
        given().contentType(ContentType.JSON)
                .body(job(null))
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202);
    }

    @Test
    void aModelWhoseWorkersAllStoppedIsRefusedForNowNotUnknown() {
        announce(
                Map.of(
                        SERVED,
                        System.currentTimeMillis() - 120_000)); // a worker that stopped long ago
        given().contentType(ContentType.JSON)
                .body(job(SERVED))
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(503)
                .header("Retry-After", notNullValue())
                .body("type", equalTo("/problems/model-without-workers"))
                .body("detail", containsString("120 s"));
        given().get("/v1/models")
                .then()
                .statusCode(200)
                .body("data[0].id", equalTo(SERVED))
                .body("data[0].state", equalTo("no_workers"))
                .body("data[0].pool", equalTo("default"));
    }

    @Test
    void unknownFieldsAreRefusedWhereCohereRefusesThem() {
        String misspelt = "{\"query\":\"q\",\"documents\":[\"a\",\"b\"],\"top_k\":1}";
        // our own API and Cohere v2 (which answers 422): a misspelt top_n must not silently return
        // every document
        given().contentType(ContentType.JSON)
                .body(misspelt)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(422)
                .body("detail", containsString("top_k"))
                .body("detail", containsString("top_n"));
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body("{\"jobs\":[" + misspelt + "]}")
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .body("detail", containsString("top_k"));
        given().contentType(ContentType.JSON)
                .body(misspelt)
                .post("/v2/rerank")
                .then()
                .statusCode(422)
                .body("message", containsString("top_k"));
        // parameters of the Cohere, vLLM, Jina and TEI APIs are known, whether or not they change
        // the result
        given().contentType(ContentType.JSON)
                .body(
                        "{\"query\":\"q\",\"documents\":[\"a\"],\"max_tokens_per_doc\":512,"
                                + "\"truncate_prompt_tokens\":256,\"deadline_ms\":60000,\"instruction\":\"Find answers\"}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202);
        given().contentType(ContentType.JSON)
                .body("{\"query\":\"q\",\"documents\":[\"a\"],\"max_tokens_per_doc\":0}")
                .post("/v2/rerank")
                .then()
                .statusCode(422)
                .body("message", containsString("max_tokens_per_doc"));
    }

    @Test
    void cohereVllmJinaAndTeiErrorsCarryTheMessageWhereTheirClientsReadIt() {
        for (String path : new String[] {"/v1/rerank", "/v2/rerank", "/rerank"}) {
            Response r =
                    given().contentType(ContentType.JSON)
                            .body("{\"query\":\"q\",\"documents\":[]}")
                            .post(path);
            r.then()
                    .statusCode(422)
                    .contentType(ContentType.JSON)
                    .body("message", containsString("documents")) // Cohere's SDKs
                    .body("detail", containsString("documents")) // Jina
                    .body(
                            "error.message",
                            containsString("documents")) // vLLM and OpenAI-style clients
                    .body("error.type", equalTo("BadRequestError"))
                    .body("error.code", equalTo(422));
        }
        // TEI's clients read a string "error" and its "error_type"
        given().contentType(ContentType.JSON)
                .body("{\"query\":\"q\",\"texts\":\"nope\"}")
                .post("/rerank")
                .then()
                .statusCode(422)
                .contentType(ContentType.JSON)
                .body("error", containsString("texts"))
                .body("error_type", equalTo("Validation"));
        // our own API keeps RFC 9457 problems
        given().contentType(ContentType.JSON)
                .body("{\"query\":\"q\",\"documents\":[]}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("$", not(Matchers.hasKey("error")));
        Response malformed = given().contentType(ContentType.JSON).body("{oops").post("/v1/rerank");
        assertEquals(400, malformed.statusCode());
        assertTrue(
                malformed.jsonPath().getString("error.message").length() > 0, malformed.asString());
    }
}
