package dev.rerankqueue.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rerankqueue.messaging.ModelPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The container files checked as files, in every build (ComposeIT runs them where Docker is): the
 * compose file parses and is whole (every service it needs, every dependency, Dockerfile and
 * mounted file present, the GPU profile on an NVIDIA device), the images run as a non-root user
 * with container-aware heaps, and the settings passed as environment variables are real keys.
 */
class DeploymentFilesTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path DOCKER = ROOT.resolve("deploy/docker");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The README and every page under docs/, as one text. */
    static String documentation() throws IOException {
        StringBuilder all = new StringBuilder(Files.readString(ROOT.resolve("README.md")));
        try (Stream<Path> pages = Files.list(ROOT.resolve("docs"))) {
            for (Path page : pages.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                all.append('\n').append(Files.readString(page));
            }
        }
        return all.toString();
    }

    @Test
    void composesTwoModelsProfileRunsTheSecondModelInItsOwnPool() throws Exception {
        JsonNode services = YAML.readTree(DOCKER.resolve("compose.yaml").toFile()).get("services");
        ModelPool pool = ModelPool.of("qwen3-reranker-4b");
        JsonNode worker = services.get("worker-" + pool.name());
        JsonNode emulator = services.get("vllm-emulator-" + pool.name());
        JsonNode topics = services.get("topics-" + pool.name());
        for (JsonNode s : List.of(worker, emulator, topics)) {
            assertEquals("two-models", s.get("profiles").get(0).asText());
        }
        JsonNode env = worker.get("environment");
        assertEquals(pool.name(), env.get("RERANK_WORKER_POOL").asText());
        String model = env.get("RERANK_WORKER_SCORER_VLLM_MODEL").asText();
        List<String> args = new ArrayList<>();
        emulator.get("command").forEach(a -> args.add(a.asText()));
        assertEquals(model, args.get(args.indexOf("--model") + 1), "the emulator serves its model");
        assertTrue(
                env.get("RERANK_WORKER_SCORER_VLLM_URL")
                        .asText()
                        .contains("vllm-emulator-" + pool.name()));
        // the topics it creates are the pool's, as ModelPool names them
        String script = topics.get("command").get(0).asText();
        for (String declared : ModelPool.DEFAULT_POOL.jobTopics()) {
            assertTrue(
                    script.contains(declared + "|") || script.contains(declared + ")"), declared);
        }
        assertTrue(
                script.contains("rerank." + pool.name() + ".$${name#rerank.}"),
                "created as " + pool.jobs(null));
        assertTrue(
                worker.get("depends_on").has("topics-" + pool.name()),
                "the worker waits for its topics");
    }

    @Test
    void composeIsWholeAndItsGpuProfileSwapsInVllm() throws Exception {
        JsonNode compose = YAML.readTree(DOCKER.resolve("compose.yaml").toFile());
        JsonNode services = compose.get("services");
        Set<String> names = new TreeSet<>();
        services.fieldNames().forEachRemaining(names::add);
        assertTrue(
                names.containsAll(
                        List.of(
                                "kafka",
                                "redis",
                                "gateway",
                                "worker",
                                "vllm-emulator",
                                "vllm",
                                "prometheus",
                                "grafana")),
                names.toString());
        assertTrue(image(services.get("kafka")).startsWith("apache/kafka:"));
        // every image pinned to a version users can pull; a variable may point at a local stand-in
        services.fields()
                .forEachRemaining(
                        e -> {
                            if (e.getValue().has("image")) {
                                String image = image(e.getValue());
                                assertTrue(
                                        image.matches("[a-z0-9./-]+:[A-Za-z0-9._-]+")
                                                && !image.endsWith(":latest"),
                                        e.getKey() + " is not pinned: " + image);
                            }
                        });
        assertTrue(
                services.get("kafka")
                        .get("environment")
                        .get("KAFKA_PROCESS_ROLES")
                        .asText()
                        .contains("controller"),
                "KRaft");

        List<String> redis = new ArrayList<>();
        services.get("redis").get("command").forEach(a -> redis.add(a.asText()));
        assertTrue(
                redis.contains("--maxmemory")
                        && "noeviction".equals(redis.get(redis.indexOf("--maxmemory-policy") + 1)),
                "Redis has a memory ceiling and never evicts accepted jobs' state: " + redis);
        assertFalse(
                services.get("gateway")
                        .get("environment")
                        .get("RERANK_AUTH_REQUIRED")
                        .asText()
                        .contains(":-false"),
                "the gateway requires API keys unless a user says otherwise");

        List<String> problems = new ArrayList<>();
        services.fields()
                .forEachRemaining(
                        e -> {
                            JsonNode s = e.getValue();
                            if (s.has("depends_on")) {
                                s.get("depends_on")
                                        .fieldNames()
                                        .forEachRemaining(
                                                d -> {
                                                    if (!names.contains(d)) {
                                                        problems.add(
                                                                e.getKey()
                                                                        + " depends on unknown "
                                                                        + d);
                                                    }
                                                });
                                if (s.get("depends_on").isArray()) {
                                    s.get("depends_on")
                                            .forEach(
                                                    d -> {
                                                        if (!names.contains(d.asText())) {
                                                            problems.add(
                                                                    e.getKey()
                                                                            + " depends on unknown "
                                                                            + d.asText());
                                                        }
                                                    });
                                }
                            }
                            // a published port on every interface opens a test endpoint or a
                            // default-password dashboard to the network
                            s.path("ports")
                                    .forEach(
                                            port -> {
                                                if (!port.asText().startsWith("127.0.0.1:")) {
                                                    problems.add(
                                                            e.getKey()
                                                                    + " publishes "
                                                                    + port.asText()
                                                                    + " beyond loopback");
                                                }
                                            });
                            if (s.has("build")
                                    && !Files.isRegularFile(
                                            DOCKER.resolve(s.get("build").get("context").asText())
                                                    .resolve(
                                                            s.get("build")
                                                                    .get("dockerfile")
                                                                    .asText())
                                                    .normalize())) {
                                problems.add(e.getKey() + ": no Dockerfile " + s.get("build"));
                            }
                            if (s.has("volumes")) {
                                s.get("volumes")
                                        .forEach(
                                                v -> {
                                                    String source = v.asText().split(":")[0];
                                                    if (source.startsWith(".")
                                                            && !Files.exists(
                                                                    DOCKER.resolve(source)
                                                                            .normalize())) {
                                                        problems.add(
                                                                e.getKey()
                                                                        + ": mounts missing "
                                                                        + source);
                                                    }
                                                });
                            }
                        });
        assertTrue(problems.isEmpty(), problems.toString());

        JsonNode vllm = services.get("vllm");
        assertEquals("gpu", vllm.get("profiles").get(0).asText());
        assertTrue(image(vllm).startsWith("vllm/vllm-openai"));
        assertEquals("nvidia", vllm.at("/deploy/resources/reservations/devices/0/driver").asText());
        assertTrue(vllm.get("command").toString().contains("Qwen/Qwen3-Reranker-0.6B"));
        assertTrue(vllm.get("command").toString().contains("Qwen3ForSequenceClassification"));
    }

    /**
     * A service's image as users get it: the default of {@code ${VARIABLE:-default}}, or the name
     * itself; a {@code ${RERANK_IMAGE_TAG:-...}} tag of a built image resolves to its default too.
     */
    private static String image(JsonNode service) {
        return service.get("image").asText().replaceAll("\\$\\{[A-Z_]+:-([^}]*)}", "$1");
    }

    @Test
    void topicsAreCreatedFromTheirOneDeclaration() throws Exception {
        String declarations = "common/src/main/resources/dev/rerankqueue/messaging/topics.conf";
        assertTrue(Files.exists(ROOT.resolve(declarations)));
        String upSh = Files.readString(ROOT.resolve("deploy/local/up.sh"));
        assertTrue(upSh.contains(declarations), "up.sh reads " + declarations);
        JsonNode topics =
                YAML.readTree(DOCKER.resolve("compose.yaml").toFile())
                        .get("services")
                        .get("topics");
        assertTrue(
                topics.get("volumes").get(0).asText().endsWith(declarations + ":/topics.conf:ro"),
                "compose mounts " + declarations);
        assertTrue(topics.get("command").get(0).asText().contains("/topics.conf"));
        for (String script : List.of(upSh, topics.get("command").get(0).asText())) {
            assertFalse(script.contains("--topic rerank."), "no topic declared a second time");
        }
    }

    @Test
    void imagesRunAsANonRootUserWithContainerAwareHeaps() throws Exception {
        for (String name :
                List.of("Dockerfile.gateway", "Dockerfile.worker", "Dockerfile.emulator")) {
            List<String> lines = Files.readAllLines(DOCKER.resolve(name));
            String user =
                    lines.stream()
                            .filter(l -> l.startsWith("USER "))
                            .reduce((a, b) -> b)
                            .orElse("USER root")
                            .substring(5)
                            .trim();
            assertTrue(!user.equals("root") && !user.equals("0"), name + " runs as " + user);
            assertTrue(
                    String.join("\n", lines).contains("MaxRAMPercentage"),
                    name + " sizes its heap from the container limit");
            for (String l : lines) {
                if (l.startsWith("COPY ")) {
                    String source = l.split("\\s+")[l.contains("--chown") ? 2 : 1];
                    String module = source.split("/")[0];
                    assertTrue(
                            Files.isDirectory(ROOT.resolve(module)),
                            name + " copies from unknown module " + module);
                }
            }
        }
    }

    @Test
    void environmentSettingsAreRealConfigKeys() throws Exception {
        JsonNode services = YAML.readTree(DOCKER.resolve("compose.yaml").toFile()).get("services");
        String documented =
                DeploymentFilesTest.documentation()
                        + Files.readString(
                                ROOT.resolve(
                                        "api-gateway/src/main/resources/application.properties"))
                        + Files.readString(
                                ROOT.resolve(
                                        "rerank-worker/src/main/resources/application.properties"));
        List<String> unknown = new ArrayList<>();
        for (String app : List.of("gateway", "worker")) {
            services.get(app)
                    .get("environment")
                    .fieldNames()
                    .forEachRemaining(
                            env -> {
                                String key = env.toLowerCase(Locale.ROOT).replace('_', '.');
                                String dashed = key.replace("api.keys", "api-keys");
                                if (!documented.contains(key) && !documented.contains(dashed)) {
                                    unknown.add(env);
                                }
                            });
        }
        assertTrue(unknown.isEmpty(), "environment variables that match no config key: " + unknown);

        JsonNode local =
                YAML.readTree(ROOT.resolve("deploy/observability/prometheus.yml").toFile());
        JsonNode inCompose = YAML.readTree(DOCKER.resolve("prometheus-compose.yml").toFile());
        assertEquals(
                jobs(local), jobs(inCompose), "compose scrapes the same jobs as the local config");
    }

    private static List<String> jobs(JsonNode prometheus) {
        List<String> jobs = new ArrayList<>();
        prometheus.get("scrape_configs").forEach(c -> jobs.add(c.get("job_name").asText()));
        return jobs;
    }
}
