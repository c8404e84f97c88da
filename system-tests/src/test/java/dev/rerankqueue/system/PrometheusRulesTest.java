package dev.rerankqueue.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert rules loaded by a real Prometheus rule engine: {@code promtool check rules} on {@code
 * deploy/observability/alerts.yml} and {@code promtool test rules} on its unit tests, one or more
 * per alert; and the Kubernetes PrometheusRule carries exactly those rules.
 */
class PrometheusRulesTest {

    static final Path OBSERVABILITY = Path.of("..", "deploy", "observability");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static String promtool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getenv().getOrDefault("PROMTOOL", "promtool"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p =
                    new ProcessBuilder(cmd)
                            .directory(OBSERVABILITY.toFile())
                            .redirectErrorStream(true)
                            .start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "promtool is needed to check the alert rules (.ci/run installs Debian's prometheus): "
                            + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool hung");
        assertEquals(0, p.exitValue(), "promtool " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    @Test
    void theRulesLoadAndEachAlertFiresWhenItShouldAndOnlyThen() throws Exception {
        assertTrue(promtool("check", "rules", "alerts.yml").contains("SUCCESS"));
        promtool("test", "rules", "alerts.test.yml");

        Set<String> alerts = new HashSet<>();
        YAML.readTree(OBSERVABILITY.resolve("alerts.yml").toFile())
                .get("groups")
                .forEach(
                        g ->
                                g.get("rules")
                                        .forEach(
                                                r -> {
                                                    if (r.has("alert")) {
                                                        alerts.add(r.get("alert").asText());
                                                    }
                                                }));
        Set<String> tested = new HashSet<>();
        List<String> ungrouped = new ArrayList<>();
        YAML.readTree(OBSERVABILITY.resolve("alerts.test.yml").toFile())
                .get("tests")
                .forEach(
                        t ->
                                t.get("alert_rule_test")
                                        .forEach(
                                                a -> {
                                                    if (a.get("exp_alerts").size() > 0) {
                                                        tested.add(a.get("alertname").asText());
                                                    }
                                                    // one alert per deployment: every alert keeps
                                                    // the namespace of the series it fired on
                                                    a.get("exp_alerts")
                                                            .forEach(
                                                                    e -> {
                                                                        if (!e.get("exp_labels")
                                                                                .has("namespace")) {
                                                                            ungrouped.add(
                                                                                    a.get(
                                                                                                    "alertname")
                                                                                            .asText());
                                                                        }
                                                                    });
                                                }));
        assertEquals(alerts, tested, "every alert has a test in which it fires");
        assertTrue(ungrouped.isEmpty(), "alerts that lose the namespace: " + ungrouped);
    }

    @Test
    void kubernetesShipsTheSameRulesAsAPrometheusRule() throws Exception {
        JsonNode rules = YAML.readTree(OBSERVABILITY.resolve("alerts.yml").toFile());
        for (String overlay : List.of("dev", "gpu")) {
            Map<String, JsonNode> objects = KubernetesManifestsTest.render(overlay);
            JsonNode rule = objects.get("PrometheusRule/rerank-queue");
            assertTrue(rule != null, overlay + " lacks PrometheusRule/rerank-queue");
            assertEquals(
                    rules.get("groups"),
                    rule.get("spec").get("groups"),
                    overlay + ": k8s/base/alerts.yaml drifted from alerts.yml");
        }
    }
}
