package dev.rerankqueue.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.testing.KafkaBroker;
import dev.rerankqueue.testing.RedisServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that already speak Cohere, vLLM or TEI work by changing their base URL: the real
 * cohere-ai SDK (v1 and v2 clients, installed with npm) and the LangChain.js and LlamaIndex.TS
 * rerankers that wrap it, against the packaged gateway and a worker, and request/response pairs
 * published by vLLM and TEI replayed as contract tests. The ranking comes from the real embedded
 * model through Kafka.
 */
class ClientCompatibilityIT {

    static final String KEY = "compat-key";

    static KafkaBroker kafka;
    static RedisServerProcess redis;
    static AppProcess gateway;
    static AppProcess worker;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startSystem() throws Exception {
        kafka = KafkaBroker.start();
        redis = new RedisServerProcess().start();
        Map<String, String> infra =
                Map.of(
                        "kafka.bootstrap.servers",
                        kafka.bootstrapServers(),
                        "quarkus.redis.hosts",
                        redis.url());
        // vLLM's published examples name their own model: an alias maps it to whatever the workers
        // serve
        Map<String, String> gatewayProps = new HashMap<>(infra);
        gatewayProps.put("rerank.models.aliases.\"BAAI/bge-reranker-base\"", "*");
        gateway =
                AppProcess.start(
                        "compat-gateway",
                        "gateway.jar",
                        RedisServerProcess.FreePort.find(),
                        gatewayProps,
                        Map.of("RERANK_API_KEYS", "compat:" + KEY));
        worker =
                AppProcess.start(
                        "compat-worker", "worker.jar", RedisServerProcess.FreePort.find(), infra);
        gateway.awaitReady(Duration.ofSeconds(90));
        worker.awaitReady(Duration.ofSeconds(90));
        // a request naming a model is checked against what the workers announce: as up.sh does,
        // wait for it
        await().atMost(Duration.ofSeconds(30))
                .until(() -> send("GET", "/v1/models", null).body().contains("\"id\""));
    }

    @AfterAll
    static void stopSystem() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {worker, gateway, redis, kafka}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void theCohereSdkV1AndV2GetRankingsAndReadableErrors() throws Exception {
        Path dir = installCohereSdk();
        String out = run(dir, Duration.ofMinutes(2), "node", "rerank.mjs", gateway.baseUrl(), KEY);
        System.out.println("cohere-ai SDK checks:\n" + out);
        List<JsonNode> checks = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                checks.add(JobCodec.mapper().readTree(line));
            }
        }
        assertEquals(6, checks.size(), out);
        for (JsonNode c : checks) {
            assertTrue(c.get("ok").asBoolean(), c.toString());
        }
    }

    @Test
    void theLangChainAndLlamaIndexRerankersThatWrapTheSdkWorkByTheirBaseUrl() throws Exception {
        Path dir = installCohereSdk();
        String out =
                run(dir, Duration.ofMinutes(2), "node", "wrappers.mjs", gateway.baseUrl(), KEY);
        System.out.println("LangChain and LlamaIndex checks:\n" + out);
        List<JsonNode> checks = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                checks.add(JobCodec.mapper().readTree(line));
            }
        }
        assertEquals(3, checks.size(), out);
        for (JsonNode c : checks) {
            assertTrue(c.get("ok").asBoolean(), c.toString());
        }
    }

    @Test
    void theCohereSdksDefaultRetriesOfA504CreateNoSecondJob() throws Exception {
        Path dir = installCohereSdk();
        // a gateway that answers 504 after one second, and a worker frozen until the SDK has given
        // up: every attempt times out
        try (AppProcess impatient =
                AppProcess.start(
                        "compat-gateway-1s",
                        "gateway.jar",
                        RedisServerProcess.FreePort.find(),
                        Map.of(
                                "kafka.bootstrap.servers",
                                kafka.bootstrapServers(),
                                "quarkus.redis.hosts",
                                redis.url(),
                                "rerank.sync.timeout",
                                "1s"),
                        Map.of("RERANK_API_KEYS", "compat:" + KEY))) {
            impatient.awaitReady(Duration.ofSeconds(90));
            String query = "What is the capital of Peru? " + System.nanoTime();
            double pairsBefore = metric(worker, "rerank_batch_pairs_sum");
            worker.signal("STOP");
            String out;
            try {
                out =
                        run(
                                dir,
                                Duration.ofMinutes(2),
                                "node",
                                "retry.mjs",
                                impatient.baseUrl(),
                                KEY,
                                query);
            } finally {
                worker.signal("CONT");
            }
            System.out.println("cohere-ai SDK with default retries:\n" + out);
            JsonNode outcome =
                    JobCodec.mapper()
                            .readTree(
                                    out.lines()
                                            .filter(l -> l.startsWith("{"))
                                            .reduce((a, b) -> b)
                                            .orElseThrow());
            assertEquals(504, outcome.get("status").asInt(), outcome.toString());
            assertEquals(
                    3.0,
                    metric(
                            impatient,
                            "http_server_requests_seconds_count{method=\"POST\",outcome=\"SERVER_ERROR\",status=\"504\",uri=\"/v2/rerank\"}"),
                    "the SDK sent the call and retried it twice");
            assertEquals(
                    1.0,
                    metric(
                            impatient,
                            "rerank_jobs_accepted_total{endpoint=\"sync\",lane=\"interactive\"}"),
                    "one job queued");
            assertEquals(
                    2.0,
                    metric(impatient, "rerank_jobs_replayed_total{endpoint=\"sync-retry\"}"),
                    "both retries attached to it");
            String jobId = outcome.get("job_id").asText();
            await().atMost(Duration.ofSeconds(60))
                    .until(
                            () ->
                                    JobCodec.mapper()
                                            .readTree(
                                                    send("GET", "/v1/rerank/jobs/" + jobId, null)
                                                            .body())
                                            .path("status")
                                            .asText()
                                            .equals("succeeded"));
            assertEquals(
                    3.0,
                    metric(worker, "rerank_batch_pairs_sum") - pairsBefore,
                    "the model scored the three pairs of one job, once");
        }
    }

    @Test
    void theGatewayRefusesToStartWithoutApiKeysUnlessAuthIsSwitchedOffExplicitly()
            throws Exception {
        try (AppProcess open =
                AppProcess.start(
                        "compat-gateway-nokeys",
                        "gateway.jar",
                        RedisServerProcess.FreePort.find(),
                        Map.of(
                                "kafka.bootstrap.servers",
                                kafka.bootstrapServers(),
                                "quarkus.redis.hosts",
                                redis.url(),
                                "rerank.auth.required",
                                "true"))) {
            assertTrue(
                    open.awaitExit(Duration.ofSeconds(60)) > 0,
                    "a gateway without keys must not serve");
            String log = Files.readString(open.log());
            assertTrue(
                    log.contains("no API keys configured")
                            && log.contains("RERANK_AUTH_REQUIRED=false"),
                    log);
        }
    }

    /**
     * A metric's value as the app exports it, summed over the series whose name and labels start
     * with {@code series}.
     */
    private static double metric(AppProcess app, String series) throws Exception {
        String metrics =
                http.send(app.metricsRequest(), HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series + " ")
                    || line.startsWith(series + "{") && !series.contains("{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @Test
    void vllmsPublishedRerankExampleHasTheSameShapeAndRanking() throws Exception {
        replay("vllm-rerank.json");
        replay("vllm-rerank-extra-params.json");
    }

    @Test
    void teisRerankShapeHasTheSameShapeAndRanking() throws Exception {
        replay("tei-rerank.json");
    }

    @Test
    void vllmsScoreApiAnswersEveryNamingOneToManyAndPairwise() throws Exception {
        String q = "What is the capital of China?";
        String q2 = "What do pandas eat?";
        List<String> docs =
                List.of(
                        "Pandas eat bamboo.",
                        "The capital of China is Beijing.",
                        "Gravity pulls objects together.");
        String docsJson = JobCodec.mapper().writeValueAsString(docs);
        // the rerank route's scores for the same pairs: the score API must give the same numbers,
        // in request order
        JsonNode ranked =
                JobCodec.mapper()
                        .readTree(
                                send(
                                                "POST",
                                                "/v1/rerank",
                                                "{\"query\":\""
                                                        + q
                                                        + "\",\"documents\":"
                                                        + docsJson
                                                        + "}")
                                        .body());
        double[] expected = new double[docs.size()];
        ranked.get("results")
                .forEach(
                        r ->
                                expected[r.get("index").asInt()] =
                                        r.get("relevance_score").asDouble());
        assertTrue(expected[1] > expected[0] && expected[1] > expected[2], ranked.toString());

        for (String[] names :
                new String[][] {
                    {"text_1", "text_2"},
                    {"queries", "documents"},
                    {"queries", "items"},
                    {"data_1", "data_2"}
                }) {
            HttpResponse<String> r =
                    send(
                            "POST",
                            "/score",
                            "{\"model\":\"BAAI/bge-reranker-base\",\""
                                    + names[0]
                                    + "\":\""
                                    + q
                                    + "\",\""
                                    + names[1]
                                    + "\":"
                                    + docsJson
                                    + "}");
            assertEquals(200, r.statusCode(), names[0] + "/" + names[1] + ": " + r.body());
            JsonNode score = JobCodec.mapper().readTree(r.body());
            assertEquals("list", score.get("object").asText());
            assertTrue(score.get("id").asText().startsWith("score-"), r.body());
            assertEquals(docs.size(), score.get("data").size(), r.body());
            for (int i = 0; i < docs.size(); i++) {
                JsonNode d = score.get("data").get(i);
                assertEquals(i, d.get("index").asInt(), "input order");
                assertEquals("score", d.get("object").asText());
                assertEquals(expected[i], d.get("score").asDouble(), 1e-6, names[0] + " pair " + i);
            }
            assertTrue(score.get("usage").get("prompt_tokens").asLong() > 0, r.body());
        }
        // pairwise: the i-th query with the i-th document, on the /v1 path
        JsonNode pairwise =
                JobCodec.mapper()
                        .readTree(
                                send(
                                                "POST",
                                                "/v1/score",
                                                "{\"text_1\":[\""
                                                        + q
                                                        + "\",\""
                                                        + q2
                                                        + "\"],"
                                                        + "\"text_2\":[\""
                                                        + docs.get(1)
                                                        + "\",\""
                                                        + docs.get(0)
                                                        + "\"]}")
                                        .body());
        assertEquals(2, pairwise.get("data").size(), pairwise.toString());
        assertEquals(expected[1], pairwise.get("data").get(0).get("score").asDouble(), 1e-6);
        assertTrue(
                pairwise.get("data").get(1).get("score").asDouble() > expected[2],
                "pandas and bamboo match: " + pairwise);
        // lists of different lengths: neither one-to-many nor pairwise, and vLLM's clients read why
        // in error.message
        HttpResponse<String> mismatch =
                send("POST", "/score", "{\"text_1\":[\"a\",\"b\"],\"text_2\":[\"c\",\"d\",\"e\"]}");
        assertEquals(422, mismatch.statusCode(), mismatch.body());
        assertTrue(
                JobCodec.mapper()
                        .readTree(mismatch.body())
                        .get("error")
                        .get("message")
                        .asText()
                        .contains("pairwise"),
                mismatch.body());
    }

    @Test
    void modelsListsWhatTheWorkersServe() {
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(
                        () -> {
                            JsonNode models =
                                    JobCodec.mapper()
                                            .readTree(send("GET", "/v1/models", null).body());
                            assertEquals("list", models.get("object").asText());
                            assertTrue(
                                    models.get("data").size() > 0,
                                    "no worker has announced its model yet: " + models);
                            assertEquals(
                                    "bge-small-en-v1.5",
                                    models.get("data").get(0).get("id").asText(),
                                    models.toString());
                            assertEquals("model", models.get("data").get(0).get("object").asText());
                        });
    }

    /** The cohere-ai SDK and the check scripts in target/clients/cohere, installed once per run. */
    private static synchronized Path installCohereSdk() throws Exception {
        Path dir = Path.of("target", "clients", "cohere");
        Files.createDirectories(dir);
        for (String f :
                List.of(
                        "package.json",
                        "package-lock.json",
                        "rerank.mjs",
                        "retry.mjs",
                        "wrappers.mjs")) {
            Files.copy(
                    Path.of("src", "test", "clients", "cohere", f),
                    dir.resolve(f),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(dir.resolve("node_modules").resolve("@llamaindex/cohere"))) {
            run(dir, Duration.ofMinutes(5), "npm", "ci", "--no-audit", "--no-fund");
        }
        return dir;
    }

    /**
     * Sends the recorded request to each of its paths; the answer must have every recorded field,
     * typed alike, and the recorded order.
     */
    private static void replay(String contract) throws Exception {
        JsonNode c;
        try (InputStream in =
                ClientCompatibilityIT.class.getResourceAsStream("/contracts/" + contract)) {
            c = JobCodec.mapper().readTree(in);
        }
        for (JsonNode path : c.get("paths")) {
            HttpResponse<String> r = send("POST", path.asText(), c.get("request").toString());
            assertEquals(200, r.statusCode(), contract + " " + path + ": " + r.body());
            JsonNode ours = JobCodec.mapper().readTree(r.body());
            List<String> problems = new ArrayList<>();
            sameShape(c.get("response"), ours, "$", problems);
            assertTrue(problems.isEmpty(), contract + " " + path + ": " + problems + " in " + ours);
            JsonNode recorded =
                    c.get("response").isArray()
                            ? c.get("response")
                            : c.get("response").get("results");
            JsonNode results = ours.isArray() ? ours : ours.get("results");
            List<Integer> order = new ArrayList<>();
            results.forEach(x -> order.add(x.get("index").asInt()));
            List<Integer> expected = new ArrayList<>();
            recorded.forEach(x -> expected.add(x.get("index").asInt()));
            assertEquals(
                    expected,
                    order.stream().filter(expected::contains).toList(),
                    contract + ": recorded order " + expected + ", ours " + order);
            assertEquals(expected.get(0), order.get(0), contract + ": the top result");
        }
    }

    private static void sameShape(
            JsonNode recorded, JsonNode ours, String at, List<String> problems) {
        if (ours == null || ours.isNull()) {
            problems.add(at + " missing");
            return;
        }
        boolean bothNumbers = recorded.isNumber() && ours.isNumber();
        if (!bothNumbers && recorded.getNodeType() != ours.getNodeType()) {
            problems.add(at + " is " + ours.getNodeType() + ", recorded " + recorded.getNodeType());
            return;
        }
        if (recorded.isIntegralNumber() && !ours.isIntegralNumber()) {
            problems.add(at + " is not an integer");
        }
        if (recorded.isObject()) {
            for (Iterator<String> names = recorded.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                sameShape(recorded.get(name), ours.get(name), at + "." + name, problems);
            }
        } else if (recorded.isArray() && !recorded.isEmpty()) {
            if (ours.isEmpty()) {
                problems.add(at + " is empty");
            }
            for (JsonNode element : ours) {
                sameShape(recorded.get(0), element, at + "[]", problems);
            }
        }
    }

    private static HttpResponse<String> send(String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                        .timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + KEY);
        if (body != null) {
            b.header("content-type", "application/json");
        }
        return http.send(
                b.method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String run(Path dir, Duration timeout, String... command)
            throws IOException, InterruptedException {
        Process p =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + text);
        return text;
    }
}
