package dev.rerankqueue.bench.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.messaging.JobCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The emulator speaks vLLM's HTTP API over real HTTP. */
class VllmEmulatorTest {

    static VllmEmulator emulator;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        emulator = VllmEmulator.start(EmulatorSettings.defaults(0).withDebugEndpoints());
    }

    @AfterAll
    static void stop() {
        emulator.close();
    }

    static HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + emulator.port() + path))
                        .header("content-type", "application/json");
        b =
                body == null
                        ? b.method(method, HttpRequest.BodyPublishers.noBody())
                        : b.method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JobCodec.mapper().readTree(r.body());
    }

    @Test
    void rerankRanksTheAnswerFirstOnEveryRoute() throws Exception {
        for (String path : new String[] {"/rerank", "/v1/rerank", "/v2/rerank"}) {
            HttpResponse<String> r =
                    call(
                            "POST",
                            path,
                            """
                    {"model":"Qwen/Qwen3-Reranker-0.6B","query":"What is the capital of China?",
                     "documents":["Gravity pulls objects together.","The capital of China is Beijing.","Pandas eat bamboo."],"top_n":2}""");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = json(r);
            assertEquals(2, body.get("results").size());
            assertEquals(1, body.get("results").get(0).get("index").asInt());
            assertEquals(
                    "The capital of China is Beijing.",
                    body.get("results").get(0).get("document").get("text").asText());
            assertTrue(
                    body.get("usage").get("total_tokens").asInt()
                            > 3 * VllmEmulator.TEMPLATE_TOKENS);
        }
    }

    @Test
    void scoreTakesPairsFromManyQueriesAndUnwrapsTheQwenTemplate() throws Exception {
        String q1 =
                "<|im_start|>system\\nJudge...<|im_end|>\\n<|im_start|>user\\n<Instruct>: Given a web search query\\n<Query>: capital of France\\n";
        String d1 =
                "<Document>: Paris is the capital of France.<|im_end|>\\n<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n";
        HttpResponse<String> r =
                call(
                        "POST",
                        "/score",
                        "{\"text_1\":[\""
                                + q1
                                + "\",\""
                                + q1
                                + "\",\"pandas\"],"
                                + "\"text_2\":[\""
                                + d1
                                + "\",\"<Document>: Bananas are yellow.<|im_end|>\",\"Pandas eat bamboo.\"]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode data = json(r).get("data");
        assertEquals(3, data.size());
        assertTrue(data.get(0).get("score").asDouble() > 0.9);
        assertTrue(data.get(1).get("score").asDouble() < 0.1);
        assertTrue(data.get(2).get("score").asDouble() > 0.9);
    }

    @Test
    void healthModelsAndMetricsAnswerLikeVllm() throws Exception {
        assertEquals(200, call("GET", "/health", null).statusCode());
        assertEquals(
                "Qwen/Qwen3-Reranker-0.6B",
                json(call("GET", "/v1/models", null)).get("data").get(0).get("id").asText());
        String metrics = call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("vllm:num_requests_waiting{"), metrics);
        assertTrue(metrics.contains("emulator_gpu_busy_seconds_total"), metrics);
    }

    @Test
    void badRequestsAre400AndFaultsCanBeInjected() throws Exception {
        assertEquals(
                400,
                call("POST", "/score", "{\"text_1\":[\"a\",\"b\"],\"text_2\":[\"x\",\"y\",\"z\"]}")
                        .statusCode());
        assertEquals(400, call("POST", "/v1/rerank", "{oops").statusCode());
        // like vLLM without --scheduling-policy priority
        assertEquals(
                400,
                call("POST", "/score", "{\"text_1\":\"a\",\"text_2\":[\"x\"],\"priority\":1}")
                        .statusCode());
        assertEquals(
                200,
                call("POST", "/score", "{\"text_1\":\"a\",\"text_2\":[\"x\"],\"priority\":0}")
                        .statusCode());
        call("POST", "/emulator/faults", "{\"error_rate\":1.0}");
        try {
            assertEquals(
                    500,
                    call("POST", "/v1/rerank", "{\"query\":\"q\",\"documents\":[\"d\"]}")
                            .statusCode());
        } finally {
            call("POST", "/emulator/faults", "{}");
        }
        assertEquals(
                200,
                call("POST", "/v1/rerank", "{\"query\":\"q\",\"documents\":[\"d\"]}").statusCode());
    }

    @Test
    void theGpuIsChargedTheCostModelsTime() throws Exception {
        double before = emulator.gpu().busySeconds();
        long passes = emulator.gpu().steps();
        call(
                "POST",
                "/v1/rerank",
                "{\"query\":\"q\",\"documents\":[\"" + "d ".repeat(400) + "\"]}");
        double charged = emulator.gpu().busySeconds() - before;
        int tokens =
                EmulatedTokenizer.count("q")
                        + EmulatedTokenizer.count("d ".repeat(400))
                        + VllmEmulator.TEMPLATE_TOKENS;
        double expected = CostModel.H100_QWEN3_RERANKER_0_6B.millis(1, tokens) / 1000;
        assertEquals(passes + 1, emulator.gpu().steps());
        assertEquals(expected, charged, 1e-6);
    }
}
