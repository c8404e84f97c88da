package dev.rerankqueue.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.messaging.ModelPool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The two-model overlay ({@code k8s/overlays/gpu-two-models}) as the code reads it: the second
 * pool's workers are in the pool the ScaledObject scales on, read the topics the gateway writes for
 * their model (named as {@link ModelPool} names them, each declared like the default pool's), may
 * read and write them with their certificates, and are selected apart from the default pool's.
 */
class ModelPoolManifestsTest {

    static final ModelPool POOL = ModelPool.of("qwen3-reranker-4b");
    static final String DEPLOYMENT = "Deployment/rerank-worker-" + POOL.name();

    @Test
    void theSecondPoolsWorkersScaleOnAndReadTheirOwnPoolsTopicsAndGroup() throws Exception {
        Map<String, JsonNode> two = KubernetesManifestsTest.render("gpu-two-models");
        JsonNode pod = two.get(DEPLOYMENT).at("/spec/template/spec");
        Map<String, String> env = env(pod.at("/containers/0/env"));
        assertEquals(POOL.name(), env.get("RERANK_WORKER_POOL"));
        String model = env.get("RERANK_WORKER_SCORER_VLLM_MODEL");
        assertEquals("--model=" + model, pod.at("/initContainers/0/args/0").asText());
        assertNotEquals(
                model,
                two.get("ConfigMap/rerank-config")
                        .at("/data/RERANK_WORKER_SCORER_VLLM_MODEL")
                        .asText(),
                "the default pool serves another model");

        JsonNode scaled = two.get("ScaledObject/rerank-worker-" + POOL.name());
        assertEquals(
                "rerank-worker-" + POOL.name(), scaled.at("/spec/scaleTargetRef/name").asText());
        Set<String> topics = new HashSet<>();
        for (JsonNode trigger : scaled.at("/spec/triggers")) {
            topics.add(trigger.at("/metadata/topic").asText());
            assertEquals(POOL.group(), trigger.at("/metadata/consumerGroup").asText());
            assertEquals("rerank-kafka", trigger.at("/authenticationRef/name").asText());
        }
        assertEquals(Set.copyOf(POOL.jobTopics()), topics);
        assertNotNull(two.get("TriggerAuthentication/rerank-kafka"));

        // each pool topic declared as the default pool's topic it stands for
        Map<String, JsonNode> declared = new HashMap<>();
        two.values().stream()
                .filter(o -> o.get("kind").asText().equals("KafkaTopic"))
                .forEach(o -> declared.put(o.at("/spec/topicName").asText(), o.get("spec")));
        for (String topic : ModelPool.DEFAULT_POOL.jobTopics()) {
            JsonNode own = declared.get(POOL.topic(topic));
            assertNotNull(own, POOL.topic(topic) + " declared");
            assertEquals(declared.get(topic).get("config"), own.get("config"), topic);
            assertEquals(declared.get(topic).get("partitions"), own.get("partitions"), topic);
        }
        // the gateway queues for a pool scaled to zero
        assertEquals(
                "true",
                two.get("ConfigMap/rerank-config")
                        .at("/data/RERANK_MODELS_QUEUE_WITHOUT_WORKERS")
                        .asText());
    }

    /**
     * The second pool's model comes from the shared cache too: downloaded once by the prefetch Job,
     * loaded read-only and offline by every pod, never downloaded per pod on a GPU node.
     */
    @Test
    void theSecondPoolsModelIsPrefetchedIntoTheSharedCacheAndLoadedOffline() throws Exception {
        Map<String, JsonNode> two = KubernetesManifestsTest.render("gpu-two-models");
        JsonNode pod = two.get(DEPLOYMENT).at("/spec/template/spec");
        String model = env(pod.at("/containers/0/env")).get("RERANK_WORKER_SCORER_VLLM_MODEL");
        JsonNode vllm = pod.at("/initContainers/0");
        assertEquals("1", env(vllm.get("env")).get("HF_HUB_OFFLINE"));
        JsonNode models = null;
        for (JsonNode v : pod.get("volumes")) {
            if (v.get("name").asText().equals("models")) {
                models = v;
            }
        }
        assertEquals(
                "rerank-models",
                models.at("/persistentVolumeClaim/claimName").asText(),
                "the shared cache: " + models);
        assertTrue(models.get("emptyDir") == null || models.get("emptyDir").isNull(), "" + models);
        for (JsonNode mount : vllm.get("volumeMounts")) {
            if (mount.get("name").asText().equals("models")) {
                assertTrue(mount.get("readOnly").asBoolean(), "the servers only read the cache");
            }
        }
        JsonNode prefetch =
                two.get("Job/rerank-model-prefetch").at("/spec/template/spec/containers/0");
        String fetched = env(prefetch.get("env")).get("MODELS");
        assertTrue(
                fetched != null && List.of(fetched.split("\\s+")).contains(model),
                "the prefetch Job downloads " + model + ": " + fetched);
        String defaultModel =
                two.get("ConfigMap/rerank-config")
                        .at("/data/RERANK_WORKER_SCORER_VLLM_MODEL")
                        .asText();
        assertTrue(List.of(fetched.split("\\s+")).contains(defaultModel), fetched);
    }

    @Test
    void eachAppsCertificateMayUseThePoolsTopicsAndGroup() throws Exception {
        Map<String, JsonNode> two = KubernetesManifestsTest.render("gpu-two-models");
        assertAllowed(two, "rerank-gateway", "topic", "Write");
        assertAllowed(two, "rerank-gateway", "group", "Describe");
        assertAllowed(two, "rerank-worker", "topic", "Read");
        assertAllowed(two, "rerank-worker", "group", "Read");
        assertAllowed(two, "rerank-keda", "topic", "Describe");
        assertAllowed(two, "rerank-keda", "group", "Describe");
    }

    @Test
    void thePoolsSelectorsAreApartAndBothAreScrapedAndAdmitted() throws Exception {
        Map<String, JsonNode> two = KubernetesManifestsTest.render("gpu-two-models");
        JsonNode first = two.get("Deployment/rerank-worker").at("/spec/selector/matchLabels");
        JsonNode second = two.get(DEPLOYMENT).at("/spec/selector/matchLabels");
        JsonNode secondPod = two.get(DEPLOYMENT).at("/spec/template/metadata/labels");
        JsonNode firstPod =
                two.get("Deployment/rerank-worker").at("/spec/template/metadata/labels");
        assertTrue(!matches(first, secondPod) && !matches(second, firstPod), "selectors overlap");
        for (JsonNode pod : List.of(firstPod, secondPod)) {
            assertTrue(
                    matches(
                            two.get("NetworkPolicy/rerank-worker-metrics")
                                    .at("/spec/podSelector/matchLabels"),
                            pod),
                    "Prometheus may reach " + pod);
        }
        JsonNode monitor = two.get("ServiceMonitor/rerank-worker").at("/spec/selector/matchLabels");
        assertTrue(
                matches(monitor, two.get("Service/rerank-worker-metrics").at("/metadata/labels")));
        assertTrue(
                matches(
                        monitor,
                        two.get("Service/rerank-worker-metrics-" + POOL.name())
                                .at("/metadata/labels")));
    }

    private static void assertAllowed(
            Map<String, JsonNode> objects, String user, String type, String operation) {
        String name = type.equals("group") ? POOL.group() : null;
        List<String> seen = new ArrayList<>();
        for (JsonNode acl : objects.get("KafkaUser/" + user).at("/spec/authorization/acls")) {
            JsonNode r = acl.get("resource");
            seen.add(r.toString());
            boolean covers =
                    r.get("type").asText().equals(type)
                            && (type.equals("group")
                                    ? r.get("name").asText().equals(name)
                                    : POOL.jobTopics().stream()
                                            .allMatch(
                                                    t ->
                                                            r.get("patternType")
                                                                            .asText()
                                                                            .equals("prefix")
                                                                    && t.startsWith(
                                                                            r.get("name")
                                                                                    .asText())));
            if (covers) {
                for (JsonNode op : acl.get("operations")) {
                    if (op.asText().equals(operation)) {
                        return;
                    }
                }
            }
        }
        throw new AssertionError(
                user + " may not " + operation + " the pool's " + type + ": " + seen);
    }

    private static boolean matches(JsonNode selector, JsonNode labels) {
        for (Map.Entry<String, JsonNode> e : selector.properties()) {
            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, String> env(JsonNode list) {
        Map<String, String> env = new HashMap<>();
        for (JsonNode e : list) {
            if (e.has("value")) {
                env.put(e.get("name").asText(), e.get("value").asText());
            }
        }
        return env;
    }
}
