package dev.rerankqueue.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.DockerComposeContainer;

/**
 * {@code deploy/docker/compose.yaml} run as a user runs it, through Testcontainers: the images
 * built from the Dockerfiles and the jars of this build, API keys on, a job ranked end to end
 * through the published port, the web UI served, Prometheus scraping the gateway (with its token),
 * the worker and the emulator. Grafana is left out: it has no image that can be made without a
 * registry.
 *
 * <p>Needs a Docker daemon and Debian's {@code docker-compose} (1.29): without either it is
 * skipped, saying so. {@code .ci/run} installs and starts both, and points the builds at images it
 * makes from Debian's packages ({@code deploy/docker/bases/build.sh}: {@code JRE_IMAGE}, {@code
 * KAFKA_IMAGE}, {@code REDIS_IMAGE}, {@code PROMETHEUS_IMAGE}); without those variables the
 * upstream images are pulled.
 */
class ComposeIT {

    private static final String KEY = "compose-acme-key-0123456789";
    private static final String TOKEN = "compose-metrics-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static DockerComposeContainer<?> compose;
    private static int gatewayPort;
    private static int prometheusPort;

    @BeforeAll
    static void up() throws IOException {
        assumeTrue(
                DockerClientFactory.instance().isDockerAvailable(),
                "no Docker daemon here: the compose file is not run (.ci/run starts one)");
        assumeTrue(
                onPath("docker-compose"),
                "no docker-compose on the PATH (Debian's package): the compose file is not run");
        gatewayPort = freePort();
        prometheusPort = freePort();
        Map<String, String> env = new HashMap<>();
        env.put("RERANK_API_KEYS", "acme:" + KEY);
        env.put("RERANK_METRICS_TOKEN", TOKEN);
        env.put("GATEWAY_PORT", Integer.toString(gatewayPort));
        env.put("PROMETHEUS_PORT", Integer.toString(prometheusPort));
        for (String image : Set.of("JRE_IMAGE", "KAFKA_IMAGE", "REDIS_IMAGE", "PROMETHEUS_IMAGE")) {
            String value = System.getenv(image);
            if (value != null && !value.isBlank()) {
                env.put(image, value);
            }
        }
        compose =
                new DockerComposeContainer<>(
                                DeploymentFilesTest.DOCKER.resolve("compose.yaml").toFile())
                        .withLocalCompose(true)
                        .withBuild(true)
                        .withPull(false)
                        .withEnv(env)
                        .withServices(
                                "kafka",
                                "topics",
                                "redis",
                                "gateway",
                                "worker",
                                "vllm-emulator",
                                "prometheus");
        compose.start();
    }

    @AfterAll
    static void down() {
        if (compose != null) {
            keepLogs();
            compose.stop(); // docker-compose down, volumes removed
        }
    }

    /**
     * Each app's log beside the other system tests' ({@code compose-SERVICE.log}), for a run that
     * failed: the containers and their logs go with {@code down}.
     */
    private static void keepLogs() {
        for (String service : List.of("gateway", "worker", "kafka", "topics", "vllm-emulator")) {
            try {
                Process ids =
                        new ProcessBuilder(
                                        "docker",
                                        "ps",
                                        "-aq",
                                        "--filter",
                                        "label=com.docker.compose.service=" + service)
                                .redirectErrorStream(true)
                                .start();
                String id = new String(ids.getInputStream().readAllBytes()).trim();
                ids.waitFor();
                if (id.isEmpty() || id.contains("\n")) {
                    continue; // none, or more than one project's: not ours to tell apart
                }
                new ProcessBuilder("docker", "logs", id)
                        .redirectErrorStream(true)
                        .redirectOutput(
                                AppProcess.logs().resolve("compose-" + service + ".log").toFile())
                        .start()
                        .waitFor();
            } catch (IOException e) {
                System.err.println("[compose] no log of " + service + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Test
    void aJobIsRankedEndToEndAndPrometheusScrapesEveryApp() throws Exception {
        String base = "http://127.0.0.1:" + gatewayPort;
        AtomicReference<String> lastReadiness = new AtomicReference<>("no answer");
        try {
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofSeconds(2))
                    .ignoreExceptions()
                    .until(
                            () -> {
                                HttpResponse<String> r = get(base + "/q/health/ready", null);
                                lastReadiness.set(r.statusCode() + " " + r.body());
                                return r.statusCode() == 200;
                            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    "the gateway not ready in 3 minutes; its readiness said: " + lastReadiness, e);
        }

        // keys on: nothing without one
        assertEquals(401, submit(base, null).statusCode());
        // a job accepted once Kafka has it, then scored by the worker through the emulator
        HttpResponse<String> accepted =
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofSeconds(2))
                        .until(() -> submit(base, KEY), r -> r.statusCode() == 202);
        String id = JSON.readTree(accepted.body()).get("id").asText();
        JsonNode done =
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(500))
                        .until(
                                () ->
                                        JSON.readTree(
                                                get(base + "/v1/rerank/jobs/" + id, KEY).body()),
                                j -> j.path("status").asText().equals("succeeded"));
        assertEquals(1, done.at("/results/0/index").asInt(), "Beijing ranked first: " + done);

        // the web UI, served by the gateway
        HttpResponse<String> ui = get(base + "/", null);
        assertEquals(200, ui.statusCode());
        assertTrue(ui.body().contains("<html"), "the UI page");
        // metrics need the token
        assertEquals(401, get(base + "/q/metrics", null).statusCode());

        // Prometheus scrapes the gateway with the token, the worker and the emulator
        String targets = "http://127.0.0.1:" + prometheusPort + "/api/v1/targets";
        Set<String> want = Set.of("gateway:8080", "worker:8081", "vllm-emulator:8000");
        await().atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofSeconds(2))
                .ignoreExceptions()
                .untilAsserted(
                        () -> {
                            Set<String> up = new TreeSet<>();
                            for (JsonNode t :
                                    JSON.readTree(get(targets, null).body())
                                            .at("/data/activeTargets")) {
                                if (t.path("health").asText().equals("up")) {
                                    up.add(t.at("/labels/instance").asText());
                                }
                            }
                            assertTrue(up.containsAll(want), "targets up: " + up);
                        });
    }

    private static HttpResponse<String> submit(String base, String key) throws Exception {
        HttpRequest.Builder r =
                HttpRequest.newBuilder(URI.create(base + "/v1/rerank/jobs"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .POST(
                                HttpRequest.BodyPublishers.ofString(
                                        """
                                        {"query":"What is the capital of China?","documents":["Gravity pulls objects together.","The capital of China is Beijing.","Pandas eat bamboo."]}"""));
        if (key != null) {
            r.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url, String key) throws Exception {
        HttpRequest.Builder r =
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (key != null) {
            r.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
