package dev.rerankqueue.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.rerankqueue.messaging.Topics;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Renders every overlay of {@code k8s/} with {@code kubectl kustomize} (offline, no cluster) and
 * checks what a deployment needs: probes, resources, non-root read-only containers, no secret
 * values, the GPU sidecar, KEDA on the workers' real consumer group, topics that match the code's,
 * network policies that admit exactly the clients, and settings that are real configuration keys.
 * Every object of a Kubernetes kind is also read into the typed classes of the Kubernetes API model
 * (fabric8 kubernetes-model, the version the Quarkus platform manages), so a misspelt field fails;
 * the custom resources of KEDA, Strimzi and the Prometheus Operator are checked by {@link
 * CustomResourceSchemasTest}.
 */
class KubernetesManifestsTest {

    static final Path K8S = DeploymentFilesTest.ROOT.resolve("k8s");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The rendered objects of an overlay, by "Kind/name". */
    static Map<String, JsonNode> render(String overlay) throws Exception {
        String kubectl = System.getenv().getOrDefault("KUBECTL", "kubectl");
        Process p;
        try {
            p =
                    new ProcessBuilder(
                                    kubectl,
                                    "kustomize",
                                    K8S.resolve("overlays").resolve(overlay).toString())
                            .redirectError(ProcessBuilder.Redirect.DISCARD)
                            .start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "kubectl is needed to render k8s/ (.ci/run installs Debian's kubernetes-client): "
                            + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "kubectl kustomize k8s/overlays/" + overlay + " failed");
        Map<String, JsonNode> objects = new HashMap<>();
        try (YAMLParser parser = new YAMLFactory().createParser(out)) {
            for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (doc != null && doc.has("kind")) {
                    objects.put(
                            doc.get("kind").asText()
                                    + "/"
                                    + doc.get("metadata").get("name").asText(),
                            doc);
                }
            }
        }
        return objects;
    }

    @Test
    void everyOverlayRendersAndEveryContainerIsProbedBoundedAndLockedDown() throws Exception {
        for (String overlay : List.of("dev", "gpu")) {
            Map<String, JsonNode> objects = render(overlay);
            List<String> problems = new ArrayList<>();
            for (JsonNode o : objects.values()) {
                String kind = o.get("kind").asText();
                if (!kind.equals("Namespace")) {
                    assertEquals(
                            overlay.equals("dev") ? "rerank-dev" : "rerank",
                            o.path("metadata").path("namespace").asText(),
                            kind
                                    + " "
                                    + o.get("metadata").get("name")
                                    + " in the overlay's namespace");
                }
                if (!List.of("Deployment", "StatefulSet").contains(kind)) {
                    continue;
                }
                JsonNode pod = o.get("spec").get("template").get("spec");
                String name = kind + "/" + o.get("metadata").get("name").asText();
                if (!pod.path("securityContext").path("runAsNonRoot").asBoolean()) {
                    problems.add(name + ": pod not runAsNonRoot");
                }
                if (pod.path("automountServiceAccountToken").asBoolean(true)) {
                    problems.add(
                            name
                                    + ": service-account token mounted (nothing here calls the Kubernetes API)");
                }
                List<JsonNode> containers = new ArrayList<>();
                pod.path("containers").forEach(containers::add);
                pod.path("initContainers").forEach(containers::add);
                for (JsonNode c : containers) {
                    String where = name + "/" + c.get("name").asText();
                    if (!c.path("securityContext").path("readOnlyRootFilesystem").asBoolean()) {
                        problems.add(where + ": root filesystem writable");
                    }
                    // what the README calls locked down: no privilege escalation and no
                    // capabilities
                    if (c.path("securityContext")
                            .path("allowPrivilegeEscalation")
                            .asBoolean(true)) {
                        problems.add(where + ": privilege escalation allowed");
                    }
                    List<String> dropped = new ArrayList<>();
                    c.path("securityContext")
                            .path("capabilities")
                            .path("drop")
                            .forEach(d -> dropped.add(d.asText()));
                    if (!dropped.contains("ALL")) {
                        problems.add(where + ": capabilities not dropped");
                    }
                    if (c.path("resources").path("requests").isMissingNode()
                            || c.path("resources").path("limits").path("memory").isMissingNode()) {
                        problems.add(where + ": no resource requests or memory limit");
                    }
                    if (c.path("livenessProbe").isMissingNode()
                            || c.path("readinessProbe").isMissingNode()
                                    && c.path("startupProbe").isMissingNode()) {
                        problems.add(where + ": not probed");
                    }
                    c.path("env")
                            .forEach(
                                    env -> {
                                        String n = env.get("name").asText();
                                        if (n.matches(".*(KEY|PASSWORD|SECRET|TOKEN).*")
                                                && env.has("value")) {
                                            problems.add(
                                                    where
                                                            + ": "
                                                            + n
                                                            + " written as a value, not a secret reference");
                                        }
                                    });
                }
            }
            assertTrue(problems.isEmpty(), overlay + ": " + problems);
            for (String required :
                    List.of(
                            "Deployment/rerank-gateway",
                            "Service/rerank-gateway",
                            "HorizontalPodAutoscaler/rerank-gateway",
                            "PodDisruptionBudget/rerank-gateway",
                            "Deployment/rerank-worker",
                            "PodDisruptionBudget/rerank-worker",
                            "ScaledObject/rerank-worker",
                            "Kafka/rerank-kafka",
                            "KafkaNodePool/dual-role",
                            "StatefulSet/rerank-redis",
                            "Service/rerank-redis",
                            "ConfigMap/rerank-config",
                            "NetworkPolicy/default-deny-ingress",
                            "ServiceMonitor/rerank-gateway",
                            "ServiceMonitor/rerank-worker")) {
                assertTrue(objects.containsKey(required), overlay + " lacks " + required);
            }
            JsonNode gateway =
                    objects.get("Deployment/rerank-gateway")
                            .get("spec")
                            .get("template")
                            .get("spec")
                            .get("containers")
                            .get(0);
            assertEquals(
                    "/q/health/ready",
                    gateway.get("readinessProbe").get("httpGet").get("path").asText());
            JsonNode keys = gateway.get("env").get(0).get("valueFrom").get("secretKeyRef");
            assertEquals("rerank-api-keys", keys.get("name").asText());
            // an optional key Secret, missing or misnamed, would start a gateway without
            // authentication
            assertFalse(
                    keys.path("optional").asBoolean(false),
                    overlay + ": the API-key Secret must be required: " + keys);
            // with keys on, metrics need the scrape token: the gateway gets it and the
            // ServiceMonitor sends the same one
            JsonNode scrape = gateway.get("env").get(1);
            assertEquals("RERANK_METRICS_TOKEN", scrape.get("name").asText());
            JsonNode credentials =
                    objects.get("ServiceMonitor/rerank-gateway")
                            .get("spec")
                            .get("endpoints")
                            .get(0)
                            .get("authorization")
                            .get("credentials");
            assertEquals(
                    scrape.get("valueFrom").get("secretKeyRef"),
                    credentials,
                    overlay + ": the scraper's token is the gateway's");
            JsonNode redis =
                    objects.get("StatefulSet/rerank-redis")
                            .get("spec")
                            .get("template")
                            .get("spec")
                            .get("containers")
                            .get(0);
            List<String> args = new ArrayList<>();
            redis.get("args").forEach(a -> args.add(a.asText()));
            int at = args.indexOf("--maxmemory");
            assertTrue(
                    at >= 0,
                    overlay + ": Redis without --maxmemory grows until the OOM killer: " + args);
            assertTrue(
                    bytes(args.get(at + 1))
                            < bytes(redis.get("resources").get("limits").get("memory").asText()),
                    overlay
                            + ": Redis maxmemory "
                            + args.get(at + 1)
                            + " must stay below the container limit");
            assertEquals(
                    "noeviction",
                    args.get(args.indexOf("--maxmemory-policy") + 1),
                    "evicting would drop accepted jobs' state");
        }
    }

    /** Bytes of a Redis size ({@code 3gb}) or a Kubernetes quantity ({@code 4Gi}). */
    static long bytes(String size) {
        Matcher m = Pattern.compile("(\\d+)([a-zA-Z]*)").matcher(size);
        assertTrue(m.matches(), size);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> n;
            case "k", "kb" -> n * 1000;
            case "ki" -> n << 10;
            case "m", "mb" -> n * 1000_000;
            case "mi" -> n << 20;
            case "g", "gb" -> n * 1000_000_000;
            case "gi" -> n << 30;
            default -> throw new AssertionError("unknown unit in " + size);
        };
    }

    /** Kinds whose schema is a custom resource definition, not part of the Kubernetes API model. */
    static final Set<String> CUSTOM_KINDS =
            Set.of(
                    "ScaledObject",
                    "TriggerAuthentication",
                    "Kafka",
                    "KafkaNodePool",
                    "KafkaTopic",
                    "KafkaUser",
                    "ServiceMonitor",
                    "PodMonitor",
                    "PrometheusRule");

    @Test
    void everyKubernetesObjectReadsIntoTheApiModelWithNoUnknownField() throws Exception {
        KubernetesSerialization model = new KubernetesSerialization();
        for (String overlay : List.of("dev", "gpu", "gpu-gateway-api", "gpu-two-models")) {
            List<String> problems = new ArrayList<>();
            int checked = 0;
            for (Map.Entry<String, JsonNode> e : render(overlay).entrySet()) {
                if (CUSTOM_KINDS.contains(e.getValue().get("kind").asText())) {
                    continue;
                }
                Object typed = model.unmarshal(e.getValue().toString());
                if (typed instanceof GenericKubernetesResource) {
                    problems.add(
                            e.getKey()
                                    + ": not a kind of the Kubernetes API ("
                                    + e.getValue().get("apiVersion").asText()
                                    + ")");
                    continue;
                }
                unknownFields(
                        typed,
                        e.getKey(),
                        problems,
                        Collections.newSetFromMap(new IdentityHashMap<>()));
                checked++;
            }
            assertTrue(problems.isEmpty(), overlay + ": " + problems);
            assertTrue(checked >= 15, overlay + ": only " + checked + " objects checked");
        }
    }

    /**
     * Packages of typed models whose beans keep unknown fields aside: Kubernetes', the Prometheus
     * Operator's, Strimzi's.
     */
    static final List<String> MODEL_PACKAGES =
            List.of(
                    "io.fabric8.kubernetes.api.model",
                    "io.fabric8.openshift.api.model",
                    "io.strimzi.api");

    /**
     * Collects fields the model did not know (they land in a bean's additional properties),
     * anywhere under {@code bean}.
     */
    static void unknownFields(Object bean, String path, List<String> out, Set<Object> seen)
            throws Exception {
        if (bean == null
                || !MODEL_PACKAGES.stream().anyMatch(bean.getClass().getName()::startsWith)
                || !seen.add(bean)) {
            return;
        }
        for (Method m : bean.getClass().getMethods()) {
            if (m.getParameterCount() != 0
                    || m.getDeclaringClass() == Object.class
                    || !m.getName().startsWith("get")) {
                continue;
            }
            Object value = m.invoke(bean);
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": unknown " + extra.keySet());
                }
                continue;
            }
            String at = path + "." + m.getName().substring(3);
            if (value instanceof Collection<?> list) {
                for (Object v : list) {
                    unknownFields(v, at, out, seen);
                }
            } else if (value instanceof Map<?, ?> map) {
                for (Object v : map.values()) {
                    unknownFields(v, at, out, seen);
                }
            } else {
                unknownFields(value, at, out, seen);
            }
        }
    }

    @Test
    void theGpuOverlayGivesEachWorkerAnH100AndAVllmSidecarThatGatesItsStart() throws Exception {
        JsonNode pod =
                render("gpu")
                        .get("Deployment/rerank-worker")
                        .get("spec")
                        .get("template")
                        .get("spec");
        JsonNode vllm = pod.get("initContainers").get(0);
        assertEquals(
                "Always",
                vllm.get("restartPolicy").asText(),
                "a native sidecar: started, and its startup probe passed, before the worker");
        assertTrue(vllm.get("image").asText().startsWith("vllm/vllm-openai:"));
        assertEquals(1, vllm.get("resources").get("limits").get("nvidia.com/gpu").asInt());
        String args = vllm.get("args").toString();
        assertTrue(
                args.contains("--runner=pooling") && args.contains("is_original_qwen3_reranker"),
                args);
        assertTrue(
                args.contains("--scheduling-policy=priority"),
                "the worker sends priorities, so vLLM must schedule by them");
        assertTrue(
                vllm.get("startupProbe").get("failureThreshold").asInt()
                                * vllm.get("startupProbe").get("periodSeconds").asInt()
                        >= 600,
                "model download and load may take minutes");
        assertTrue(
                pod.get("volumes").toString().contains("\"medium\":\"Memory\""),
                "shared memory for vLLM");
        assertEquals(
                "rerank-models",
                find(pod.get("volumes"), "models")
                        .get("persistentVolumeClaim")
                        .get("claimName")
                        .asText());
        assertEquals("NoSchedule", pod.get("tolerations").get(0).get("effect").asText());
        assertTrue(pod.get("affinity").get("nodeAffinity").toString().contains("H100"));
        assertTrue(
                pod.get("terminationGracePeriodSeconds").asInt() > 25,
                "longer than the worker's drain timeout");
    }

    @Test
    void theDevOverlayRunsWithoutAGpuOnTheEmulator() throws Exception {
        Map<String, JsonNode> dev = render("dev");
        JsonNode pod = dev.get("Deployment/rerank-worker").get("spec").get("template").get("spec");
        JsonNode sidecar = pod.get("initContainers").get(0);
        assertTrue(
                sidecar.get("image").asText().startsWith("rerank-queue/vllm-emulator:"),
                sidecar.get("image").asText());
        assertFalse(
                dev.values().stream().anyMatch(o -> o.toString().contains("nvidia.com/gpu\"")),
                "no GPU asked for anywhere");
        assertEquals(
                1,
                dev.get("HorizontalPodAutoscaler/rerank-gateway")
                        .get("spec")
                        .get("minReplicas")
                        .asInt());
        assertEquals(
                1,
                dev.get("ScaledObject/rerank-worker").get("spec").get("maxReplicaCount").asInt());
        assertEquals(1, dev.get("KafkaNodePool/dual-role").get("spec").get("replicas").asInt());
        dev.values().stream()
                .filter(o -> o.get("kind").asText().equals("KafkaTopic"))
                .forEach(
                        t ->
                                assertEquals(
                                        1,
                                        t.get("spec").get("replicas").asInt(),
                                        t.get("metadata").get("name").asText()));
    }

    @Test
    void kedaScalesOnTheWorkersGroupAndTopicsMatchTheCode() throws Exception {
        Map<String, JsonNode> gpu = render("gpu");
        JsonNode scaled = gpu.get("ScaledObject/rerank-worker").get("spec");
        assertEquals("rerank-worker", scaled.get("scaleTargetRef").get("name").asText());
        assertEquals(
                0,
                scaled.get("minReplicaCount").asInt(),
                "no GPU paid for while nothing is queued");
        // a group that never committed gives KEDA no topics unless they are named: one trigger per
        // jobs topic (each lane's own and its overflow)
        Set<String> lanes = new HashSet<>();
        for (JsonNode trigger : scaled.get("triggers")) {
            assertEquals("kafka", trigger.get("type").asText());
            assertEquals(
                    Topics.WORKER_GROUP, trigger.get("metadata").get("consumerGroup").asText());
            assertTrue(trigger.get("metadata").get("lagThreshold").asInt() > 0);
            assertNotNull(trigger.get("metadata").get("activationLagThreshold"));
            lanes.add(trigger.get("metadata").get("topic").asText());
        }
        assertEquals(Set.copyOf(Topics.JOB_TOPICS), lanes);
        assertTrue(
                scaled.get("fallback").get("replicas").asInt() >= 1,
                "a scaler that cannot read the lag keeps a worker");
        // each worker runs 2 consumers per topic: more workers than partitions / 2 would idle
        assertTrue(
                scaled.get("maxReplicaCount").asInt() * 2 <= Topics.DEFAULT_JOB_PARTITIONS,
                "replicas bounded by partitions");

        String config = gpu.get("ConfigMap/rerank-config").get("data").toString();
        String bootstrap =
                gpu.get("ConfigMap/rerank-config")
                        .get("data")
                        .get("KAFKA_BOOTSTRAP_SERVERS")
                        .asText();
        assertEquals(
                "rerank-kafka-kafka-bootstrap:9093",
                bootstrap,
                "Strimzi's bootstrap service of the Kafka resource, TLS listener");
        assertTrue(config.contains("redis://rerank-redis:6379"), config);

        Map<String, JsonNode> topics = new HashMap<>();
        gpu.values().stream()
                .filter(o -> o.get("kind").asText().equals("KafkaTopic"))
                .forEach(t -> topics.put(t.get("spec").get("topicName").asText(), t.get("spec")));
        // the topics are declared once (topics.conf, read by Topics): the cluster's are the same
        Map<String, String> declared = new TreeMap<>();
        Map<String, String> manifests = new TreeMap<>();
        for (Topics.Declared t : Topics.declared()) {
            declared.put(t.name(), t.partitions() + " " + new TreeMap<>(t.configs()));
        }
        topics.forEach(
                (name, spec) -> {
                    Map<String, String> configs = new TreeMap<>();
                    spec.get("config")
                            .fields()
                            .forEachRemaining(c -> configs.put(c.getKey(), c.getValue().asText()));
                    manifests.put(name, spec.get("partitions").asInt() + " " + configs);
                });
        assertEquals(declared, manifests, "KafkaTopics of k8s/base/kafka.yaml vs topics.conf");
        assertEquals(
                2,
                gpu.get("Kafka/rerank-kafka")
                        .get("spec")
                        .get("kafka")
                        .get("config")
                        .get("min.insync.replicas")
                        .asInt(),
                "an accepted job (acks=all) is on two brokers");
    }

    @Test
    void whatNoSchemaCatchesHoldsInEveryOverlay() throws Exception {
        for (String overlay : List.of("dev", "gpu")) {
            Map<String, JsonNode> objects = render(overlay);
            String namespace = overlay.equals("dev") ? "rerank-dev" : "rerank";
            // KEDA's operator resolves a short service name from its own namespace
            for (JsonNode trigger :
                    objects.get("ScaledObject/rerank-worker").get("spec").get("triggers")) {
                assertEquals(
                        "rerank-kafka-kafka-bootstrap." + namespace + ".svc:9093",
                        trigger.get("metadata").get("bootstrapServers").asText(),
                        overlay + ": bootstrap servers fully qualified in the overlay's namespace");
            }
            // an autoscaled Deployment with replicas set is scaled back on every apply
            List<String> autoscaled = new ArrayList<>();
            objects.values().stream()
                    .filter(
                            o ->
                                    o.get("kind").asText().equals("HorizontalPodAutoscaler")
                                            || o.get("kind").asText().equals("ScaledObject"))
                    .forEach(
                            o ->
                                    autoscaled.add(
                                            o.get("spec")
                                                    .get("scaleTargetRef")
                                                    .get("name")
                                                    .asText()));
            assertEquals(Set.of("rerank-gateway", "rerank-worker"), new HashSet<>(autoscaled));
            for (String name : autoscaled) {
                assertFalse(
                        objects.get("Deployment/" + name).get("spec").has("replicas"),
                        overlay + ": " + name + " is autoscaled but sets replicas");
            }
            JsonNode worker = objects.get("Deployment/rerank-worker").get("spec");
            JsonNode sidecar = worker.get("template").get("spec").get("initContainers").get(0);
            JsonNode startup = sidecar.get("startupProbe");
            int allowance =
                    startup.get("periodSeconds").asInt() * startup.get("failureThreshold").asInt();
            assertTrue(
                    worker.path("progressDeadlineSeconds").asInt(600) > allowance,
                    overlay
                            + ": a rollout would fail while a pod may still load its model ("
                            + allowance
                            + " s)");
            // vLLM's metrics reach Prometheus: it listens beyond loopback, is scraped, and only the
            // monitoring namespace may reach it
            assertTrue(
                    sidecar.get("args").toString().contains("0.0.0.0"),
                    overlay + ": vLLM on loopback cannot be scraped: " + sidecar.get("args"));
            List<String> scraped = new ArrayList<>();
            objects.get("ServiceMonitor/rerank-worker")
                    .get("spec")
                    .get("endpoints")
                    .forEach(e -> scraped.add(e.get("port").asText() + e.get("path").asText()));
            assertTrue(scraped.contains("vllm/metrics"), overlay + ": " + scraped);
            JsonNode ingress =
                    objects.get("NetworkPolicy/rerank-worker-metrics").get("spec").get("ingress");
            assertEquals(1, ingress.size(), overlay + ": one rule, from the monitoring namespace");
            assertTrue(
                    ingress.get(0).get("ports").toString().contains("8000"),
                    overlay + ": " + ingress);
        }
        // the GPU pod's vLLM runs as a uid without a passwd entry: getpass.getuser() needs USER or
        // LOGNAME
        JsonNode vllm =
                render("gpu")
                        .get("Deployment/rerank-worker")
                        .get("spec")
                        .get("template")
                        .get("spec")
                        .get("initContainers")
                        .get(0);
        List<String> env = new ArrayList<>();
        vllm.get("env").forEach(e -> env.add(e.get("name").asText()));
        assertTrue(env.containsAll(List.of("HOME", "USER", "LOGNAME")), env.toString());
    }

    @Test
    void onlyTheGatewayAndWorkersReachKafkaAndRedis() throws Exception {
        Map<String, JsonNode> gpu = render("gpu");
        JsonNode redisPolicy = gpu.get("NetworkPolicy/rerank-redis-clients").get("spec");
        JsonNode kafkaPeers =
                gpu.get("Kafka/rerank-kafka")
                        .get("spec")
                        .get("kafka")
                        .get("listeners")
                        .get(0)
                        .get("networkPolicyPeers");
        for (String app : List.of("rerank-gateway", "rerank-worker")) {
            JsonNode labels =
                    gpu.get("Deployment/" + app)
                            .get("spec")
                            .get("template")
                            .get("metadata")
                            .get("labels");
            assertEquals("true", labels.get("rerank-queue/redis-client").asText(), app);
            assertEquals("true", labels.get("rerank-queue/kafka-client").asText(), app);
        }
        assertEquals(
                "true",
                redisPolicy
                        .get("ingress")
                        .get(0)
                        .get("from")
                        .get(0)
                        .get("podSelector")
                        .get("matchLabels")
                        .get("rerank-queue/redis-client")
                        .asText());
        assertEquals(1, redisPolicy.get("ingress").size(), "no other way in");
        assertEquals(
                "true",
                kafkaPeers
                        .get(0)
                        .get("podSelector")
                        .get("matchLabels")
                        .get("rerank-queue/kafka-client")
                        .asText());
        assertEquals(
                "[\"Ingress\"]",
                gpu.get("NetworkPolicy/default-deny-ingress")
                        .get("spec")
                        .get("policyTypes")
                        .toString());
        for (String monitor : List.of("rerank-gateway", "rerank-worker")) {
            assertEquals(
                    "/q/metrics",
                    gpu.get("ServiceMonitor/" + monitor)
                            .get("spec")
                            .get("endpoints")
                            .get(0)
                            .get("path")
                            .asText());
        }
    }

    @Test
    void settingsAreRealConfigurationKeys() throws Exception {
        JsonNode data = render("gpu").get("ConfigMap/rerank-config").get("data");
        String documented =
                (DeploymentFilesTest.documentation()
                                + Files.readString(
                                        DeploymentFilesTest.ROOT.resolve(
                                                "api-gateway/src/main/resources/application.properties"))
                                + Files.readString(
                                        DeploymentFilesTest.ROOT.resolve(
                                                "rerank-worker/src/main/resources/application.properties")))
                        .replace('-', '.');
        List<String> unknown = new ArrayList<>();
        data.fieldNames()
                .forEachRemaining(
                        env -> {
                            if (!documented.contains(
                                    env.toLowerCase(Locale.ROOT).replace('_', '.'))) {
                                unknown.add(env);
                            }
                        });
        assertTrue(unknown.isEmpty(), "settings that match no configuration key: " + unknown);
    }

    @Test
    void kafkaTakesOnlyAuthenticatedClientsEachWithTheAclsItNeeds() throws Exception {
        for (String overlay : List.of("dev", "gpu")) {
            Map<String, JsonNode> objects = render(overlay);
            JsonNode kafka = objects.get("Kafka/rerank-kafka").get("spec").get("kafka");
            assertEquals(
                    1,
                    kafka.get("listeners").size(),
                    overlay + ": one listener, no plain one beside it");
            JsonNode listener = kafka.get("listeners").get(0);
            assertTrue(listener.get("tls").asBoolean(), overlay + ": the listener encrypts");
            assertEquals(
                    "tls",
                    listener.get("authentication").get("type").asText(),
                    overlay + ": clients authenticate by certificate");
            assertEquals(
                    "simple",
                    kafka.get("authorization").get("type").asText(),
                    overlay + ": ACLs are enforced");
            int port = listener.get("port").asInt();
            assertTrue(
                    objects.get("ConfigMap/rerank-config")
                            .get("data")
                            .get("KAFKA_BOOTSTRAP_SERVERS")
                            .asText()
                            .endsWith(":" + port));
            assertEquals(
                    "SSL",
                    objects.get("ConfigMap/rerank-config")
                            .get("data")
                            .get("KAFKA_SECURITY_PROTOCOL")
                            .asText());

            // each Kafka client mounts the certificate of its own KafkaUser and reads that Secret's
            // keystore password
            for (String app : List.of("gateway", "worker")) {
                JsonNode pod =
                        objects.get("Deployment/rerank-" + app)
                                .get("spec")
                                .get("template")
                                .get("spec");
                assertTrue(
                        objects.containsKey("KafkaUser/rerank-" + app),
                        overlay + ": no KafkaUser for the " + app);
                assertEquals(
                        "rerank-" + app,
                        find(pod.get("volumes"), "kafka-user")
                                .get("secret")
                                .get("secretName")
                                .asText());
                assertEquals(
                        "rerank-kafka-cluster-ca-cert",
                        find(pod.get("volumes"), "kafka-ca")
                                .get("secret")
                                .get("secretName")
                                .asText());
                JsonNode password =
                        find(pod.get("containers").get(0).get("env"), "KAFKA_SSL_KEYSTORE_PASSWORD")
                                .get("valueFrom")
                                .get("secretKeyRef");
                assertEquals("rerank-" + app, password.get("name").asText());
            }
            // least privilege: who may do what, on the names common's Topics declares
            assertEquals(
                    Map.of(
                            Topics.JOBS,
                            Set.of("Write", "Describe"),
                            Topics.JOBS_BATCH,
                            Set.of("Write", "Describe"),
                            Topics.JOBS_OVERFLOW,
                            Set.of("Write", "Describe"),
                            Topics.JOBS_BATCH_OVERFLOW,
                            Set.of("Write", "Describe"),
                            "group:" + Topics.WORKER_GROUP,
                            Set.of("Describe")),
                    acls(objects.get("KafkaUser/rerank-gateway")));
            assertEquals(
                    Map.of(
                            Topics.JOBS,
                            Set.of("Read", "Describe"),
                            Topics.JOBS_BATCH,
                            Set.of("Read", "Describe"),
                            Topics.JOBS_OVERFLOW,
                            Set.of("Read", "Describe"),
                            Topics.JOBS_BATCH_OVERFLOW,
                            Set.of("Read", "Describe"),
                            "group:" + Topics.WORKER_GROUP,
                            Set.of("Read", "Describe"),
                            Topics.JOBS_DLQ,
                            Set.of("Write", "Describe"),
                            Topics.RESULTS,
                            Set.of("Write", "Read", "Describe")),
                    acls(objects.get("KafkaUser/rerank-worker")));
            assertEquals(
                    Map.of(
                            Topics.JOBS,
                            Set.of("Describe"),
                            Topics.JOBS_BATCH,
                            Set.of("Describe"),
                            Topics.JOBS_OVERFLOW,
                            Set.of("Describe"),
                            Topics.JOBS_BATCH_OVERFLOW,
                            Set.of("Describe"),
                            "group:" + Topics.WORKER_GROUP,
                            Set.of("Describe")),
                    acls(objects.get("KafkaUser/rerank-keda")));

            // KEDA reads the lag over TLS as rerank-keda
            JsonNode auth =
                    objects.get("TriggerAuthentication/rerank-kafka")
                            .get("spec")
                            .get("secretTargetRef");
            Map<String, String> params = new HashMap<>();
            auth.forEach(
                    r ->
                            params.put(
                                    r.get("parameter").asText(),
                                    r.get("name").asText() + "/" + r.get("key").asText()));
            assertEquals(
                    Map.of(
                            "ca",
                            "rerank-kafka-cluster-ca-cert/ca.crt",
                            "cert",
                            "rerank-keda/user.crt",
                            "key",
                            "rerank-keda/user.key"),
                    params);
            for (JsonNode trigger :
                    objects.get("ScaledObject/rerank-worker").get("spec").get("triggers")) {
                assertEquals("rerank-kafka", trigger.get("authenticationRef").get("name").asText());
                assertEquals("enable", trigger.get("metadata").get("tls").asText());
                assertTrue(
                        trigger.get("metadata")
                                .get("bootstrapServers")
                                .asText()
                                .endsWith(":" + port));
            }
            // a node loss takes one replica: brokers on different nodes, replicas in different
            // zones
            JsonNode antiAffinity =
                    objects.get("KafkaNodePool/dual-role")
                            .get("spec")
                            .get("template")
                            .get("pod")
                            .get("affinity")
                            .get("podAntiAffinity")
                            .get("requiredDuringSchedulingIgnoredDuringExecution")
                            .get(0);
            assertEquals("kubernetes.io/hostname", antiAffinity.get("topologyKey").asText());
            // zones (the dev overlay drops them: kind and minikube nodes have no zone label)
            if (overlay.equals("gpu")) {
                assertEquals(
                        "topology.kubernetes.io/zone",
                        kafka.get("rack").get("topologyKey").asText());
            }
            assertTrue(
                    objects.get("KafkaNodePool/dual-role").get("spec").has("resources"),
                    overlay + ": brokers without resources");
            assertTrue(
                    objects.containsKey("PodMonitor/rerank-kafka")
                            && objects.get("Kafka/rerank-kafka").get("spec").has("kafkaExporter"));
        }
    }

    /** A KafkaUser's ACLs: topic name (or "group:" + group) to the operations allowed on it. */
    private static Map<String, Set<String>> acls(JsonNode user) {
        Map<String, Set<String>> out = new HashMap<>();
        for (JsonNode acl : user.get("spec").get("authorization").get("acls")) {
            JsonNode resource = acl.get("resource");
            assertEquals(
                    "literal",
                    resource.get("patternType").asText(),
                    "no prefix or wildcard grants");
            String name =
                    (resource.get("type").asText().equals("group") ? "group:" : "")
                            + resource.get("name").asText();
            Set<String> ops = new HashSet<>();
            acl.get("operations").forEach(o -> ops.add(o.asText()));
            out.put(name, ops);
        }
        return out;
    }

    @Test
    void rolloutsDrainTheGatewayAndTheNamespaceEnforcesRestrictedPods() throws Exception {
        for (String overlay : List.of("dev", "gpu")) {
            Map<String, JsonNode> objects = render(overlay);
            JsonNode pod =
                    objects.get("Deployment/rerank-gateway")
                            .get("spec")
                            .get("template")
                            .get("spec");
            JsonNode gateway = pod.get("containers").get(0);
            int preStop =
                    gateway.get("lifecycle").get("preStop").get("sleep").get("seconds").asInt();
            assertTrue(
                    preStop > 0,
                    overlay
                            + ": the endpoint leaves the Service before the gateway stops taking requests");
            long shutdown =
                    Duration.parse(
                                    "PT"
                                            + find(gateway.get("env"), "QUARKUS_SHUTDOWN_TIMEOUT")
                                                    .get("value")
                                                    .asText()
                                                    .toUpperCase(Locale.ROOT))
                            .toSeconds();
            assertTrue(
                    preStop + shutdown < pod.get("terminationGracePeriodSeconds").asInt(),
                    overlay
                            + ": preStop + shutdown timeout must end before the kubelet kills the pod");
            List<String> spreadOver = new ArrayList<>();
            pod.get("topologySpreadConstraints")
                    .forEach(c -> spreadOver.add(c.get("topologyKey").asText()));
            assertTrue(
                    spreadOver.containsAll(
                            List.of("topology.kubernetes.io/zone", "kubernetes.io/hostname")),
                    overlay + ": " + spreadOver);

            JsonNode namespace =
                    objects.values().stream()
                            .filter(o -> o.get("kind").asText().equals("Namespace"))
                            .findFirst()
                            .orElseThrow();
            assertEquals(
                    "restricted",
                    namespace
                            .get("metadata")
                            .get("labels")
                            .get("pod-security.kubernetes.io/enforce")
                            .asText(),
                    overlay);
            // every pod the overlay brings runs under "restricted": seccomp, non-root, no
            // escalation, no capabilities
            for (JsonNode o : objects.values()) {
                JsonNode template = o.path("spec").path("template").path("spec");
                if (template.isMissingNode()) {
                    continue;
                }
                String name = o.get("kind").asText() + "/" + o.get("metadata").get("name").asText();
                assertEquals(
                        "RuntimeDefault",
                        template.path("securityContext")
                                .path("seccompProfile")
                                .path("type")
                                .asText(),
                        name);
                assertTrue(template.path("securityContext").path("runAsNonRoot").asBoolean(), name);
                List<JsonNode> containers = new ArrayList<>();
                template.path("containers").forEach(containers::add);
                template.path("initContainers").forEach(containers::add);
                for (JsonNode c : containers) {
                    assertFalse(
                            c.path("securityContext")
                                    .path("allowPrivilegeEscalation")
                                    .asBoolean(true),
                            name + "/" + c.get("name"));
                    assertTrue(
                            c.path("resources").has("requests")
                                    && c.path("resources").path("limits").has("memory"),
                            name + "/" + c.get("name"));
                    assertFalse(
                            c.get("image").asText().endsWith(":latest")
                                    || !c.get("image").asText().contains(":"),
                            name
                                    + ": an image without a fixed tag changes under a running deployment: "
                                    + c.get("image"));
                }
            }
        }
    }

    @Test
    void theEdgeStreamsEventsUnbufferedOverTlsAndKeepsMetricsInside() throws Exception {
        JsonNode ingress = render("gpu").get("Ingress/rerank-gateway");
        JsonNode annotations = ingress.get("metadata").get("annotations");
        assertEquals(
                "off",
                annotations.get("nginx.ingress.kubernetes.io/proxy-buffering").asText(),
                "SSE events pass at once");
        assertTrue(
                annotations.get("nginx.ingress.kubernetes.io/proxy-read-timeout").asInt() >= 600,
                "an event stream outlives a minute");
        assertFalse(ingress.get("spec").get("tls").isEmpty(), "TLS at the edge");
        List<String> paths = new ArrayList<>();
        ingress.get("spec")
                .get("rules")
                .forEach(
                        r ->
                                r.get("http")
                                        .get("paths")
                                        .forEach(p -> paths.add(p.get("path").asText())));
        assertTrue(
                paths.containsAll(List.of("/v1", "/v2", "/rerank")),
                "the async API and the drop-in routes: " + paths);
        assertTrue(
                paths.stream()
                        .noneMatch(
                                p ->
                                        p.equals("/")
                                                || p.equals("/q")
                                                || p.startsWith("/q/metrics")
                                                || p.startsWith("/q/health")),
                "metrics and health stay inside the cluster: " + paths);
        // the model is downloaded once, then vLLM starts offline
        Map<String, JsonNode> gpu = render("gpu");
        assertTrue(gpu.containsKey("Job/rerank-model-prefetch"));
        JsonNode vllm =
                gpu.get("Deployment/rerank-worker")
                        .get("spec")
                        .get("template")
                        .get("spec")
                        .get("initContainers")
                        .get(0);
        assertEquals("1", find(vllm.get("env"), "HF_HUB_OFFLINE").get("value").asText());
        assertTrue(
                find(vllm.get("env"), "HF_TOKEN")
                        .get("valueFrom")
                        .get("secretKeyRef")
                        .get("optional")
                        .asBoolean(),
                "the Hugging Face token is only for gated models");
    }

    private static JsonNode find(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.get("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError("no " + name + " in " + list);
    }
}
