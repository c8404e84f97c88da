package dev.rerankqueue.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every custom resource that {@code k8s/} renders, checked against the schema of the operator that
 * reads it, offline: Strimzi's kinds read into the model classes of the Strimzi release the
 * manifests target ({@code io.strimzi:api}), the Prometheus Operator's into fabric8's typed classes
 * of them, KEDA's against JSON Schemas kept in {@code k8s/schemas/} (KEDA publishes no Java model),
 * and the Grafana dashboard against its schema in {@code deploy/observability/grafana/}. A field
 * the model does not know, or a value of the wrong type, fails.
 */
class CustomResourceSchemasTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Class<?>> TYPED =
            Map.of(
                    "Kafka",
                    Kafka.class,
                    "KafkaNodePool",
                    KafkaNodePool.class,
                    "KafkaTopic",
                    KafkaTopic.class,
                    "KafkaUser",
                    KafkaUser.class,
                    "ServiceMonitor",
                    ServiceMonitor.class,
                    "PodMonitor",
                    PodMonitor.class,
                    "PrometheusRule",
                    PrometheusRule.class);
    private static final Map<String, String> SCHEMAS =
            Map.of(
                    "ScaledObject",
                    "keda-scaledobject.schema.json",
                    "TriggerAuthentication",
                    "keda-triggerauthentication.schema.json");
    private static final Path DASHBOARD =
            PrometheusRulesTest.OBSERVABILITY.resolve("grafana").resolve("rerank-queue.json");

    /**
     * What is wrong with one rendered custom resource; empty when its operator's schema takes it.
     */
    static List<String> problems(JsonNode resource) throws Exception {
        String kind = resource.get("kind").asText();
        String where = kind + "/" + resource.get("metadata").get("name").asText();
        List<String> out = new ArrayList<>();
        if (TYPED.containsKey(kind)) {
            Object typed;
            try {
                typed = JSON.treeToValue(resource, TYPED.get(kind));
            } catch (Exception e) {
                out.add(where + ": " + e.getMessage().lines().findFirst().orElse(""));
                return out;
            }
            KubernetesManifestsTest.unknownFields(
                    typed, where, out, Collections.newSetFromMap(new IdentityHashMap<>()));
        } else if (SCHEMAS.containsKey(kind)) {
            out.addAll(
                    validate(
                            KubernetesManifestsTest.K8S
                                    .resolve("schemas")
                                    .resolve(SCHEMAS.get(kind)),
                            resource,
                            where));
        } else {
            out.add(where + ": no schema for this kind");
        }
        return out;
    }

    private static List<String> validate(Path schemaFile, JsonNode instance, String where)
            throws Exception {
        Schema schema =
                SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                        .getSchema(JSON.readTree(schemaFile.toFile()));
        List<String> out = new ArrayList<>();
        schema.validate(instance).forEach(e -> out.add(where + ": " + e));
        return out;
    }

    @Test
    void everyCustomResourceOfEveryOverlayMatchesItsOperatorsSchema() throws Exception {
        for (String overlay : List.of("dev", "gpu", "gpu-two-models")) {
            List<String> problems = new ArrayList<>();
            Set<String> kinds = new HashSet<>();
            for (JsonNode o : KubernetesManifestsTest.render(overlay).values()) {
                String kind = o.get("kind").asText();
                if (KubernetesManifestsTest.CUSTOM_KINDS.contains(kind)) {
                    kinds.add(kind);
                    problems.addAll(problems(o));
                } else {
                    String group =
                            o.get("apiVersion").asText().contains("/")
                                    ? o.get("apiVersion").asText().split("/")[0]
                                    : "";
                    assertFalse(
                            group.contains(".") && !group.endsWith(".k8s.io"),
                            overlay + ": " + kind + " is a custom resource nobody checks");
                }
            }
            assertTrue(problems.isEmpty(), overlay + ": " + problems);
            assertEquals(
                    KubernetesManifestsTest.CUSTOM_KINDS,
                    kinds,
                    overlay + ": every custom kind rendered and checked");
        }
    }

    @Test
    void theChecksCatchWhatAClusterWouldRejectOrSilentlyIgnore() throws Exception {
        Map<String, JsonNode> gpu = KubernetesManifestsTest.render("gpu");
        Map<String, String> broken =
                Map.of(
                        "Kafka/rerank-kafka",
                                "/spec/kafka:listners", // misspelt: Strimzi would ignore it
                        "KafkaNodePool/dual-role", "/spec:replica",
                        "KafkaUser/rerank-worker", "/spec/authorization:acl",
                        "ServiceMonitor/rerank-worker", "/spec:endpoint",
                        "ScaledObject/rerank-worker", "/spec:minReplicaCont",
                        "TriggerAuthentication/rerank-kafka", "/spec:secretTargetRefs");
        for (Map.Entry<String, String> b : broken.entrySet()) {
            JsonNode copy = gpu.get(b.getKey()).deepCopy();
            String[] at = b.getValue().split(":");
            ((ObjectNode) copy.at(at[0])).put(at[1], 1);
            assertFalse(
                    problems(copy).isEmpty(),
                    "a misspelt field in " + b.getKey() + " goes unnoticed");
        }
        // a KEDA trigger-metadata key the Kafka scaler does not read (KEDA ignores it; the
        // threshold would be the default)
        JsonNode scaled = gpu.get("ScaledObject/rerank-worker").deepCopy();
        ((ObjectNode) scaled.at("/spec/triggers/0/metadata")).put("lagTreshold", "10");
        assertFalse(problems(scaled).isEmpty(), "a misspelt trigger-metadata key goes unnoticed");
        // a wrong type: Strimzi's model wants a number of partitions
        JsonNode topic = gpu.get("KafkaTopic/rerank-jobs").deepCopy();
        ((ObjectNode) topic.get("spec")).put("partitions", "twelve");
        assertFalse(problems(topic).isEmpty(), "a wrong type goes unnoticed");
    }

    @Test
    void strimziResourcesUseTheCurrentApiVersion() throws Exception {
        for (JsonNode o : KubernetesManifestsTest.render("gpu").values()) {
            if (o.get("apiVersion").asText().startsWith("kafka.strimzi.io/")) {
                // v1beta2 is deprecated from Strimzi 0.49 and removed in 0.52
                assertEquals(
                        "kafka.strimzi.io/v1",
                        o.get("apiVersion").asText(),
                        o.get("kind") + " " + o.get("metadata").get("name"));
            }
        }
        assertTrue(
                Kafka.VERSIONS.contains("v1"),
                "the Strimzi model on the test classpath serves v1: " + Kafka.VERSIONS);
    }

    @Test
    void theDashboardMatchesItsSchemaAndDefinesEveryVariableItUses() throws Exception {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        List<String> problems =
                validate(
                        DASHBOARD.resolveSibling("dashboard.schema.json"),
                        dashboard,
                        "rerank-queue.json");
        assertTrue(problems.isEmpty(), problems.toString());

        Set<String> variables = new HashSet<>();
        dashboard.get("templating").get("list").forEach(v -> variables.add(v.get("name").asText()));
        assertTrue(
                variables.containsAll(List.of("datasource", "namespace", "lane")),
                variables.toString());
        Set<Integer> ids = new HashSet<>();
        Pattern variable = Pattern.compile("\\$\\{?([a-zA-Z_]+)");
        for (JsonNode panel : dashboard.get("panels")) {
            assertTrue(
                    ids.add(panel.get("id").asInt()), "panel ids are unique: " + panel.get("id"));
            assertTrue(
                    panel.get("gridPos").get("x").asInt() + panel.get("gridPos").get("w").asInt()
                            <= 24,
                    panel.get("title").asText());
            for (JsonNode target : panel.get("targets")) {
                String expr = target.get("expr").asText();
                Matcher m = variable.matcher(expr);
                while (m.find()) {
                    assertTrue(
                            variables.contains(m.group(1)) || m.group(1).startsWith("__"),
                            "undefined $" + m.group(1) + " in " + expr);
                }
                // filtered to the chosen deployment: with several namespaces the panels would add
                // them up otherwise
                assertTrue(
                        expr.contains("namespace=~\"$namespace\""),
                        "panel '" + panel.get("title").asText() + "' ignores $namespace: " + expr);
            }
        }
        // Kubernetes provisions the same dashboard through Grafana's sidecar
        assertEquals(
                Files.readString(DASHBOARD),
                Files.readString(
                        KubernetesManifestsTest.K8S.resolve("base/dashboards/rerank-queue.json")),
                "k8s/base/dashboards/rerank-queue.json drifted from deploy/observability/grafana/rerank-queue.json");
        JsonNode configMap =
                KubernetesManifestsTest.render("gpu").get("ConfigMap/rerank-queue-dashboard");
        assertEquals(
                "1",
                configMap.get("metadata").get("labels").get("grafana_dashboard").asText(),
                "the label Grafana's sidecar watches");
        assertEquals(
                dashboard, JSON.readTree(configMap.get("data").get("rerank-queue.json").asText()));
    }
}
