package dev.rerankqueue.system;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.testing.KafkaBroker;
import dev.rerankqueue.testing.RedisServerProcess;
import dev.rerankqueue.testing.SseRecorder;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The assembled system as a user runs it: the packaged gateway and worker as two JVM processes, a
 * real Kafka broker and a real redis-server, the real embedded model. Submit, poll, SSE and sync,
 * then a burst, then Kafka going away.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndIT {

    static final String BEIJING =
            """
            {"query":"What is the capital of China?","documents":["Gravity pulls objects together.",
             "The capital of China is Beijing.","Pandas eat bamboo."],"return_documents":true}""";

    static KafkaBroker kafka;
    static RedisServerProcess redis;
    static AppProcess gateway;
    static AppProcess worker;
    static Map<String, String> infra;

    /**
     * The second model of the two-model test, and its pool's two workers (started with the rest).
     */
    static final ModelPool LARGE_POOL = ModelPool.of("large");

    static final String LARGE = "test/large-reranker";
    static final List<AppProcess> largeWorkers = new ArrayList<>();

    @BeforeAll
    static void startSystem() throws Exception {
        kafka = KafkaBroker.start();
        redis = new RedisServerProcess().start();
        infra =
                Map.of(
                        "kafka.bootstrap.servers", kafka.bootstrapServers(),
                        "quarkus.redis.hosts", redis.url());
        // the gateway logs JSON lines (as the Kubernetes config runs it), the worker text: the job
        // log is checked in both
        Map<String, String> json = new HashMap<>(infra);
        json.put("quarkus.log.console.json.enabled", "true");
        gateway =
                AppProcess.start(
                        "gateway", "gateway.jar", RedisServerProcess.FreePort.find(), json);
        worker =
                AppProcess.start("worker", "worker.jar", RedisServerProcess.FreePort.find(), infra);
        gateway.awaitReady(Duration.ofSeconds(90));
        worker.awaitReady(Duration.ofSeconds(90));
        RestAssured.baseURI = gateway.baseUrl();
        RestAssured.port = -1;
    }

    @AfterAll
    static void stopSystem() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {worker, gateway, redis, kafka}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // the Kafka test stops the broker itself
                }
            }
        }
    }

    @Test
    @Order(1)
    void asyncJobIsScoredAndFollowedOverSse() throws Exception {
        String id =
                given().contentType(ContentType.JSON)
                        .body(BEIJING)
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202)
                        .body("status", equalTo("queued"))
                        .extract()
                        .path("id");
        SseRecorder sse = SseRecorder.open(gateway.baseUrl() + "/v1/rerank/jobs/" + id + "/events");
        assertEquals(200, sse.ended().get(60, TimeUnit.SECONDS));
        SseRecorder.Event last = sse.events().get(sse.events().size() - 1);
        assertEquals("result", last.name());
        assertTrue(last.data().contains("\"status\":\"succeeded\""), last.data());

        given().get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("succeeded"))
                .body("model", equalTo("bge-small-en-v1.5"))
                .body("results[0].index", equalTo(1))
                .body("results[0].document.text", equalTo("The capital of China is Beijing."))
                .body("usage.pairs", equalTo(3))
                .body("timings.total_ms", notNullValue());
    }

    @Test
    @Order(2)
    void syncDropInRanksLikeTheJobApi() {
        for (String path : List.of("/rerank", "/v1/rerank", "/v2/rerank")) {
            given().contentType(ContentType.JSON)
                    .body(
                            "{\"model\":\"default\",\"query\":\"What is the capital of China?\","
                                    + "\"documents\":[\"Pandas eat bamboo.\",\"The capital of China is Beijing.\"],\"top_n\":1}")
                    .post(path)
                    .then()
                    .statusCode(200)
                    .body("results.size()", equalTo(1))
                    .body("results[0].index", equalTo(1))
                    .body("usage.total_tokens", notNullValue());
        }
    }

    @Test
    @Order(3)
    void aBurstIsAcceptedAndEveryJobFinishesWithTheRightAnswer() throws Exception {
        String[][] facts = {
            {"France", "Paris"},
            {"Japan", "Tokyo"},
            {"Italy", "Rome"},
            {"Kenya", "Nairobi"},
            {"Canada", "Ottawa"},
            {"Egypt", "Cairo"},
            {"Peru", "Lima"},
            {"Norway", "Oslo"}
        };
        HttpClient http = HttpClient.newHttpClient();
        Random random = new Random(7);
        int jobs = 200;
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        List<Integer> expectedTop = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            String[] f = facts[i % facts.length];
            List<String> docs =
                    new ArrayList<>(
                            List.of(
                                    "Bananas are yellow.",
                                    "Gravity pulls objects together.",
                                    "Rivers flow to the sea.",
                                    "The capital of " + f[0] + " is " + f[1] + "."));
            Collections.shuffle(docs, random);
            expectedTop.add(docs.indexOf("The capital of " + f[0] + " is " + f[1] + "."));
            // each query differs (request #i), so the score cache cannot answer and pairs of many
            // jobs meet in one call
            String body =
                    "{\"query\":\"What is the capital of "
                            + f[0]
                            + "? (request "
                            + i
                            + ")\",\"documents\":[\""
                            + String.join("\",\"", docs)
                            + "\"]}";
            sent.add(
                    http.sendAsync(
                            HttpRequest.newBuilder(
                                            URI.create(gateway.baseUrl() + "/v1/rerank/jobs"))
                                    .header("content-type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()));
        }
        List<String> ids = new ArrayList<>();
        Pattern idPattern = Pattern.compile("\"id\":\"([^\"]+)\"");
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(202, r.statusCode(), r.body());
            Matcher m = idPattern.matcher(r.body());
            assertTrue(m.find());
            ids.add(m.group(1));
        }
        Set<Integer> open = new TreeSet<>();
        for (int i = 0; i < jobs; i++) {
            open.add(i);
        }
        await().atMost(Duration.ofSeconds(120))
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> {
                            open.removeIf(
                                    i -> {
                                        Response r = given().get("/v1/rerank/jobs/" + ids.get(i));
                                        if (!"succeeded".equals(r.path("status"))) {
                                            return false;
                                        }
                                        int top = r.path("results[0].index");
                                        assertEquals(
                                                expectedTop.get(i),
                                                top,
                                                "job " + i + " ranks its capital first");
                                        return true;
                                    });
                            return open.isEmpty();
                        });
        String metrics =
                given().baseUri(worker.baseUrl()).get("/q/metrics").then().extract().asString();
        double maxPairsPerCall = metric(metrics, "rerank_batch_pairs_max");
        assertTrue(
                maxPairsPerCall > 4,
                "a scorer call held pairs of several jobs (max pairs per call "
                        + maxPairsPerCall
                        + ")");
    }

    private static double metric(String exposition, String name) {
        Matcher m =
                Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(exposition);
        assertTrue(m.find(), name + " is exported");
        return Double.parseDouble(m.group(2));
    }

    /**
     * The Prometheus config, alert rules and Grafana dashboard in deploy/observability parse, hold
     * the alerts and panels operators need, and query only metrics the running apps really export
     * (vLLM's own excepted).
     */
    @Test
    @Order(4)
    void dashboardsAndAlertsUseOnlyMetricsTheAppsExport() throws Exception {
        Path dir = Path.of("..", "deploy", "observability");
        var yaml = new ObjectMapper(new YAMLFactory());
        var json = new ObjectMapper();
        var prometheus = yaml.readTree(dir.resolve("prometheus.yml").toFile());
        List<String> jobs = new ArrayList<>();
        prometheus.get("scrape_configs").forEach(c -> jobs.add(c.get("job_name").asText()));
        assertTrue(
                jobs.containsAll(List.of("rerank-gateway", "rerank-worker", "vllm")),
                jobs.toString());
        assertEquals("alerts.yml", prometheus.get("rule_files").get(0).asText());

        List<String> exprs = new ArrayList<>();
        List<String> alerts = new ArrayList<>();
        yaml.readTree(dir.resolve("alerts.yml").toFile())
                .get("groups")
                .forEach(
                        g ->
                                g.get("rules")
                                        .forEach(
                                                r -> {
                                                    exprs.add(r.get("expr").asText());
                                                    if (r.has("alert")) {
                                                        alerts.add(r.get("alert").asText());
                                                        assertTrue(
                                                                r.has("annotations")
                                                                        && r.get("annotations")
                                                                                .has("summary"),
                                                                r.toString());
                                                    }
                                                }));
        assertTrue(
                alerts.containsAll(
                        List.of(
                                "RerankBacklogTooLong",
                                "RerankJobErrorRatio",
                                "RerankNoConsumer",
                                "RerankDeadLettersGrowing",
                                "RerankRedisMemoryHigh",
                                "RerankStorageFull")),
                alerts.toString());

        List<String> panels = new ArrayList<>();
        json.readTree(dir.resolve("grafana/rerank-queue.json").toFile())
                .get("panels")
                .forEach(
                        p -> {
                            panels.add(p.get("title").asText());
                            p.get("targets").forEach(t -> exprs.add(t.get("expr").asText()));
                        });
        for (String needed :
                List.of("Throughput", "latency", "Backlog", "Batch fill", "GPU busy")) {
            assertTrue(
                    panels.stream().anyMatch(t -> t.contains(needed)),
                    needed + " panel missing: " + panels);
        }

        String exported = metrics(gateway) + metrics(worker);
        List<String> unknown = new ArrayList<>();
        Matcher m =
                Pattern.compile("\\b((?:rerank|http_server|cache)_[a-z0-9_]+)")
                        .matcher(String.join("\n", exprs));
        while (m.find()) {
            if (!exported.contains("\n" + m.group(1) + "{")
                    && !exported.contains("\n" + m.group(1) + " ")) {
                unknown.add(m.group(1));
            }
        }
        assertTrue(unknown.isEmpty(), "dashboard/alerts query metrics nobody exports: " + unknown);
        // a query filtered by model pool reads only metrics exported with the pool label
        List<String> unpooled = new ArrayList<>();
        Matcher pooled =
                Pattern.compile("\\b(rerank_[a-z0-9_]+)\\{[^}]*pool=~")
                        .matcher(String.join("\n", exprs));
        while (pooled.find()) {
            if (!Pattern.compile("(?m)^" + pooled.group(1) + "\\{[^}]*pool=\"")
                    .matcher(exported)
                    .find()) {
                unpooled.add(pooled.group(1));
            }
        }
        assertTrue(unpooled.isEmpty(), "filtered by pool, exported without it: " + unpooled);
    }

    private static String metrics(AppProcess app) throws Exception {
        return "\n"
                + HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(app.baseUrl() + "/q/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
    }

    @Test
    @Order(5)
    void aLargeBulkJobSendsProgressThenItsResultThroughTheBatchLane() throws Exception {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            docs.add(
                    "Note "
                            + i
                            + ": river "
                            + i
                            + " flows into lake "
                            + (i * 7 % 13)
                            + " after the spring rains.");
        }
        docs.set(271, "The capital of China is Beijing.");
        String job =
                JobCodec.toJson(
                        Map.of(
                                "query",
                                "What is the capital of China?",
                                "documents",
                                docs,
                                "top_n",
                                3));
        String batch = "{\"jobs\":[" + job + "]}";
        String id =
                given().urlEncodingEnabled(false)
                        .contentType(ContentType.JSON)
                        .body(batch)
                        .post("/v1/rerank/jobs:batch")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("jobs[0].id");
        SseRecorder sse = SseRecorder.open(gateway.baseUrl() + "/v1/rerank/jobs/" + id + "/events");
        assertEquals(200, sse.ended().get(120, TimeUnit.SECONDS));
        List<String> names = sse.events().stream().map(SseRecorder.Event::name).toList();
        assertEquals("result", names.get(names.size() - 1), names.toString());
        List<Integer> scored = new ArrayList<>();
        Matcher m =
                Pattern.compile("\"scored_pairs\":(\\d+)")
                        .matcher(
                                String.join(
                                        "\n",
                                        sse.events().stream()
                                                .filter(e -> e.name().equals("progress"))
                                                .map(SseRecorder.Event::data)
                                                .toList()));
        while (m.find()) {
            scored.add(Integer.parseInt(m.group(1)));
        }
        assertTrue(
                !scored.isEmpty(),
                "a 400-pair job (over rerank.worker.progress.min-pairs) reports progress: "
                        + names);
        assertTrue(scored.stream().allMatch(n -> n > 0 && n < 400), scored.toString());
        assertEquals(scored.stream().sorted().toList(), scored, "progress only goes up");
        given().get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("results[0].index", equalTo(271));
    }

    @Test
    @Order(6)
    void theWebUiRanksAJobInARealBrowser() throws Exception {
        try (Browser browser = Browser.start()) {
            var driver = browser.driver();
            driver.get(gateway.baseUrl() + "/");
            driver.findElement(By.id("query")).sendKeys("What is the capital of China?");
            driver.findElement(By.id("documents")).sendKeys("  \n ");
            driver.findElement(By.id("submit")).click();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !driver.findElement(By.id("form-error")).getText().isBlank());
            assertTrue(
                    driver.findElement(By.id("form-error")).getText().contains("documents"),
                    "a bad request shows the API's problem: "
                            + driver.findElement(By.id("form-error")).getText());

            driver.findElement(By.id("documents")).clear();
            driver.findElement(By.id("documents"))
                    .sendKeys(
                            "Gravity pulls objects together.\nThe capital of China is Beijing.\n"
                                    + "Pandas eat bamboo.\nBeijing hosted the 2008 Summer Olympics.");
            // the model picker lists what the workers serve, with its pool
            await().atMost(Duration.ofSeconds(15))
                    .until(
                            () ->
                                    driver.findElement(By.id("model"))
                                            .getText()
                                            .contains("bge-small-en-v1.5 (default)"));
            driver.findElement(By.cssSelector("#model option[value='bge-small-en-v1.5']")).click();
            driver.findElement(By.id("submit")).click();
            await().atMost(Duration.ofSeconds(60))
                    .until(
                            () ->
                                    "succeeded"
                                            .equals(
                                                    driver.findElement(By.id("job-status"))
                                                            .getText()));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> driver.findElements(By.cssSelector("#results li")).size() == 4);
            List<WebElement> ranked = driver.findElements(By.cssSelector("#results li .doc"));
            assertEquals(
                    "bge-small-en-v1.5", driver.findElement(By.id("model")).getAttribute("value"));
            assertEquals("The capital of China is Beijing.", ranked.get(0).getText());
            assertTrue(
                    driver.findElement(By.id("job-timings")).getText().contains("total"),
                    "timings are shown");
            String recent = driver.findElement(By.cssSelector("#recent tbody")).getText();
            assertTrue(recent.contains("succeeded"), "the live panel lists the job: " + recent);
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    !driver.findElement(By.id("backlog-interactive"))
                                            .getText()
                                            .equals("–"));
            Path shot = browser.screenshot(Path.of("target", "web-ui.png"));
            assertTrue(Files.size(shot) > 10_000, "screenshot written: " + shot.toAbsolutePath());
        }
    }

    @Test
    @Order(7)
    void aJobIsFollowedAcrossTheGatewayAndWorkerLogsByItsId() throws Exception {
        String id =
                given().contentType(ContentType.JSON)
                        .body(BEIJING)
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("id");
        await().atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                "succeeded"
                                        .equals(
                                                given().get("/v1/rerank/jobs/" + id)
                                                        .path("status")));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Files.readString(worker.log()).contains("job " + id + " succeeded"));
        String workerLine =
                Files.readAllLines(worker.log()).stream()
                        .filter(l -> l.contains("job " + id + " succeeded"))
                        .findFirst()
                        .orElseThrow();
        assertTrue(
                workerLine.contains(
                                "job " + id + " succeeded: tenant=default lane=interactive worker=")
                        && workerLine.matches(".*queued_ms=\\d+ scoring_ms=\\d+ total_ms=\\d+.*"),
                workerLine);
        JsonNode accepted = null;
        for (String line : Files.readAllLines(gateway.log())) {
            if (line.startsWith("{") && line.contains(id)) {
                accepted = JobCodec.mapper().readTree(line);
            }
        }
        assertTrue(accepted != null, "a JSON line of the gateway names the job");
        assertEquals("rerank.job", accepted.path("loggerName").asText(), accepted.toString());
        assertEquals(id, accepted.path("mdc").path("job_id").asText(), accepted.toString());
        assertEquals("default", accepted.path("mdc").path("tenant").asText());
        assertEquals("interactive", accepted.path("mdc").path("lane").asText());
    }

    /**
     * A second model beside the first, in a pool of two workers of its own: jobs of both, each
     * scored by its own model's workers; one of the second pool's workers killed (SIGKILL) half way
     * leaves the first model's jobs untouched and loses no job of either.
     */
    @Test
    @Order(8)
    void twoModelsAreScoredEachByItsOwnPoolAndAPoolLosingAWorkerLosesNothing() throws Exception {
        ModelPool pool = ModelPool.of("large");
        String large = "test/large-reranker";
        String small = "bge-small-en-v1.5";
        kafka.createPool(pool);
        Map<String, String> props = new HashMap<>(infra);
        props.put("rerank.worker.pool", pool.name());
        props.put("rerank.worker.scorer.onnx.model-name", large);
        // the killed worker's partitions move after the broker's shortest session
        props.put("mp.messaging.incoming.jobs.session.timeout.ms", "6000");
        props.put("mp.messaging.incoming.jobs.heartbeat.interval.ms", "2000");
        // started here, not with the rest: their idle consumers' polling would slow every other
        // test
        AppProcess first =
                AppProcess.start(
                        "worker-large-1", "worker.jar", RedisServerProcess.FreePort.find(), props);
        AppProcess second =
                AppProcess.start(
                        "worker-large-2", "worker.jar", RedisServerProcess.FreePort.find(), props);
        try {
            first.awaitReady(Duration.ofSeconds(90));
            second.awaitReady(Duration.ofSeconds(90));
            await().atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    "ready"
                                            .equals(
                                                    given().get("/v1/models")
                                                            .path(
                                                                    "data.find { it.id == '"
                                                                            + large
                                                                            + "' }.state")));
            given().get("/v1/models")
                    .then()
                    .body("data.find { it.id == '" + large + "' }.pool", equalTo(pool.name()))
                    .body("data.find { it.id == '" + small + "' }.pool", equalTo("default"));
            Map<String, String> modelOf = new HashMap<>();
            for (int i = 0; i < 30; i++) {
                if (i == 15) {
                    first.kill(); // mid-load, with jobs of its pool queued and running
                }
                for (String model : List.of(small, large)) {
                    String id =
                            given().contentType(ContentType.JSON)
                                    .body(
                                            "{\"model\":\""
                                                    + model
                                                    + "\","
                                                    + BEIJING.strip().substring(1))
                                    .post("/v1/rerank/jobs")
                                    .then()
                                    .statusCode(202)
                                    .extract()
                                    .path("id");
                    modelOf.put(id, model);
                }
            }
            for (Map.Entry<String, String> job : modelOf.entrySet()) {
                await().atMost(Duration.ofSeconds(120))
                        .until(
                                () ->
                                        "succeeded"
                                                .equals(
                                                        given().get(
                                                                        "/v1/rerank/jobs/"
                                                                                + job.getKey())
                                                                .path("status")));
                given().get("/v1/rerank/jobs/" + job.getKey())
                        .then()
                        .body("model", equalTo(job.getValue()))
                        .body("results[0].index", equalTo(1));
            }
            assertTrue(
                    metrics(second).contains("pool=\"" + pool.name() + "\""),
                    "the second pool's worker labels its metrics with its pool");
        } finally {
            first.kill();
            second.kill(); // nothing of its pool is left to finish
        }
    }

    @Test
    @Order(9)
    void withKafkaGoneASubmitIs503AndNotAccepted() {
        kafka.close();
        given().contentType(ContentType.JSON)
                .body(BEIJING)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(503)
                .contentType("application/problem+json")
                .header("Retry-After", notNullValue())
                .body("type", equalTo("/problems/queue-unavailable"))
                .body("detail", containsString("NOT accepted"));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> given().get("/q/health/ready").statusCode() == 503);
    }
}
