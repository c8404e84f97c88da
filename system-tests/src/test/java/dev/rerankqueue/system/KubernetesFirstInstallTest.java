package dev.rerankqueue.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What would break a first real install of {@code k8s/}, as a platform engineer meets it: operator
 * versions that cannot run the manifests, a volume that never binds, pods that never schedule on a
 * cluster without zone labels, caches racing on a shared volume, a Service port that does not
 * resolve before Kubernetes 1.32, an edge that refuses what the gateway accepts, a JVM sized from
 * the host's cores. Each check reads the rendered overlays ({@link
 * KubernetesManifestsTest#render}), the images' files or the walkthrough in docs/kubernetes.md.
 */
class KubernetesFirstInstallTest {

    /**
     * Kafka versions each Strimzi release runs (its kafka-versions.yaml): the pinned operator must
     * know the version the Kafka resource asks for, or the resource never reconciles.
     */
    static final Map<String, List<String>> STRIMZI_KAFKA_VERSIONS =
            Map.of(
                    "0.49.1", List.of("4.0.0", "4.0.1", "4.1.0", "4.1.1"),
                    "1.0.1", List.of("4.1.0", "4.1.1", "4.2.0"));

    static String walkthrough() throws Exception {
        return Files.readString(DeploymentFilesTest.ROOT.resolve("docs/kubernetes.md"));
    }

    static JsonNode workerPod(String overlay) throws Exception {
        return KubernetesManifestsTest.render(overlay)
                .get("Deployment/rerank-worker")
                .get("spec")
                .get("template")
                .get("spec");
    }

    static JsonNode named(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.path("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError("no " + name + " in " + list);
    }

    @Test
    void theOperatorsArePinnedToVersionsThatRunTheManifests() throws Exception {
        String docs = walkthrough();
        Matcher strimzi =
                Pattern.compile("strimzi-kafka-operator\\s[^`]*--version (\\S+)").matcher(docs);
        assertTrue(strimzi.find(), "the Strimzi chart is installed at a pinned version");
        String kafka =
                KubernetesManifestsTest.render("gpu")
                        .get("Kafka/rerank-kafka")
                        .get("spec")
                        .get("kafka")
                        .get("version")
                        .asText();
        assertTrue(
                STRIMZI_KAFKA_VERSIONS.getOrDefault(strimzi.group(1), List.of()).contains(kafka),
                "Strimzi " + strimzi.group(1) + " runs Kafka " + kafka);
        Matcher keda = Pattern.compile("kedacore/keda\\s[^`]*--version (\\S+)").matcher(docs);
        assertTrue(keda.find(), "the KEDA chart is installed at a pinned version");
        assertTrue(
                keda.group(1).startsWith("2.18."),
                "k8s/schemas/ follows KEDA 2.18: " + keda.group(1));
    }

    @Test
    void theSharedModelVolumeNamesItsStorageClass() throws Exception {
        JsonNode pvc =
                KubernetesManifestsTest.render("gpu")
                        .get("PersistentVolumeClaim/rerank-models")
                        .get("spec");
        assertEquals("ReadWriteMany", pvc.get("accessModes").get(0).asText());
        assertFalse(
                pvc.path("storageClassName").asText().isEmpty(),
                "the cluster's default class is block storage (ReadWriteOnce) on EKS, GKE and AKS:"
                        + " an RWX claim without a class stays Pending");
        assertTrue(walkthrough().contains("kubectl get storageclass"), "a step picks the class");
    }

    @Test
    void kafkaIsSpreadOverZonesInProductionAndNeedsNoZoneLabelsInDev() throws Exception {
        Map<String, JsonNode> gpu = KubernetesManifestsTest.render("gpu");
        assertEquals(
                "topology.kubernetes.io/zone",
                gpu.get("Kafka/rerank-kafka")
                        .get("spec")
                        .get("kafka")
                        .get("rack")
                        .get("topologyKey")
                        .asText());
        JsonNode spread =
                gpu.get("KafkaNodePool/dual-role")
                        .get("spec")
                        .get("template")
                        .get("pod")
                        .path("topologySpreadConstraints");
        assertEquals(1, spread.size(), "rack awareness places replicas, not the brokers");
        assertEquals("topology.kubernetes.io/zone", spread.get(0).get("topologyKey").asText());
        assertEquals(1, spread.get(0).get("maxSkew").asInt());
        assertEquals("DoNotSchedule", spread.get(0).get("whenUnsatisfiable").asText());

        // kind and minikube nodes carry no zone label: Strimzi's init container exits without one
        Map<String, JsonNode> dev = KubernetesManifestsTest.render("dev");
        assertTrue(
                dev.get("Kafka/rerank-kafka")
                        .get("spec")
                        .get("kafka")
                        .path("rack")
                        .isMissingNode());
        assertTrue(
                dev.get("KafkaNodePool/dual-role")
                        .get("spec")
                        .path("template")
                        .path("pod")
                        .path("topologySpreadConstraints")
                        .isMissingNode());
        assertTrue(walkthrough().contains("`topology.kubernetes.io/zone` label"));
    }

    @Test
    void vllmsCachesStayInThePodAndTheModelVolumeIsReadOnly() throws Exception {
        JsonNode pod = workerPod("gpu");
        JsonNode vllm = named(pod.get("initContainers"), "vllm");
        for (JsonNode env : vllm.get("env")) {
            if (!env.get("name").asText().equals("HF_HOME")) {
                assertFalse(
                        env.path("value").asText().startsWith("/models"),
                        env + ": compile caches of every pod would race on the shared volume");
            }
        }
        assertTrue(named(vllm.get("volumeMounts"), "models").path("readOnly").asBoolean());
        assertFalse(
                named(pod.get("volumes"), "tmp").path("emptyDir").path("sizeLimit").isMissingNode(),
                "vLLM's caches live on the pod's own tmp volume, bounded");
        assertEquals(
                "OnRootMismatch",
                pod.get("securityContext").path("fsGroupChangePolicy").asText(),
                "no recursive chown of the shared volume at every pod start");
        assertEquals("1", named(vllm.get("env"), "DO_NOT_TRACK").get("value").asText());
        assertEquals(8000, vllm.get("livenessProbe").path("httpGet").path("port").asInt());
        assertEquals(8000, vllm.get("startupProbe").path("httpGet").path("port").asInt());
        JsonNode prefetch =
                KubernetesManifestsTest.render("gpu")
                        .get("Job/rerank-model-prefetch")
                        .get("spec")
                        .get("template")
                        .get("spec")
                        .get("containers")
                        .get(0);
        assertFalse(named(prefetch.get("env"), "HOME").get("value").asText().startsWith("/models"));
    }

    @Test
    void servicePortsResolveBeforeKubernetes132() throws Exception {
        // a named port declared on a native sidecar is missing from EndpointSlices before 1.32
        for (String overlay : List.of("dev", "gpu")) {
            Map<String, JsonNode> objects = KubernetesManifestsTest.render(overlay);
            for (JsonNode o : objects.values()) {
                if (!o.get("kind").asText().equals("Service")) {
                    continue;
                }
                for (JsonNode port : o.get("spec").get("ports")) {
                    JsonNode target = port.path("targetPort");
                    if (!target.isTextual()) {
                        continue;
                    }
                    for (JsonNode d : objects.values()) {
                        if (d.get("kind").asText().equals("Deployment")
                                && selects(o, d)
                                && d.get("spec")
                                        .get("template")
                                        .get("spec")
                                        .path("initContainers")
                                        .toString()
                                        .contains("\"name\":\"" + target.asText() + "\"")) {
                            throw new AssertionError(
                                    overlay
                                            + " Service "
                                            + o.get("metadata").get("name").asText()
                                            + " targets the sidecar port "
                                            + target.asText()
                                            + " by name");
                        }
                    }
                }
            }
        }
    }

    private static boolean selects(JsonNode service, JsonNode deployment) {
        JsonNode labels = deployment.get("spec").get("template").get("metadata").get("labels");
        List<String> missing = new ArrayList<>();
        service.get("spec")
                .path("selector")
                .fields()
                .forEachRemaining(
                        e -> {
                            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText())) {
                                missing.add(e.getKey());
                            }
                        });
        return missing.isEmpty() && service.get("spec").has("selector");
    }

    @Test
    void theEdgePassesEveryBodyTheGatewayAccepts() throws Exception {
        String properties =
                Files.readString(
                        DeploymentFilesTest.ROOT.resolve(
                                "api-gateway/src/main/resources/application.properties"));
        Matcher upload =
                Pattern.compile("max-body-size=\\$\\{rerank.limits.max-upload-size:(\\w+)}")
                        .matcher(properties);
        assertTrue(upload.find());
        long gatewayCap = bytes(upload.group(1));
        for (String overlay : List.of("gpu", "gpu-gateway-api")) {
            Map<String, JsonNode> objects = KubernetesManifestsTest.render(overlay);
            JsonNode ingress = objects.get("Ingress/rerank-gateway");
            if (ingress == null) {
                assertTrue(objects.containsKey("HTTPRoute/rerank-gateway"), overlay);
                continue;
            }
            String proxy =
                    ingress.get("metadata")
                            .get("annotations")
                            .get("nginx.ingress.kubernetes.io/proxy-body-size")
                            .asText();
            assertTrue(
                    proxy.equals("0") || bytes(proxy) >= gatewayCap,
                    "the proxy's "
                            + proxy
                            + " against the gateway's upload limit "
                            + upload.group(1));
        }
        assertFalse(walkthrough().contains("16 MB"), "the walkthrough names the real limit");
    }

    static long bytes(String size) {
        Matcher m = Pattern.compile("(\\d+)([kKmMgG]?)").matcher(size);
        assertTrue(m.matches(), size);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase()) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }

    @Test
    void aGatewayApiRouteReplacesTheIngressWhereIngressNginxIsGone() throws Exception {
        Map<String, JsonNode> objects = KubernetesManifestsTest.render("gpu-gateway-api");
        assertFalse(objects.containsKey("Ingress/rerank-gateway"));
        JsonNode route = objects.get("HTTPRoute/rerank-gateway").get("spec");
        Set<String> paths = new HashSet<>();
        for (JsonNode rule : route.get("rules")) {
            rule.get("matches").forEach(m -> paths.add(m.get("path").get("value").asText()));
            assertEquals("rerank-gateway", rule.get("backendRefs").get(0).get("name").asText());
            assertTrue(
                    rule.path("timeouts").has("request"),
                    "event streams outlive a proxy's default request timeout");
        }
        assertTrue(
                paths.containsAll(List.of("/v1", "/v2", "/rerank", "/score", "/ui")),
                paths.toString());
        assertFalse(paths.stream().anyMatch(p -> p.startsWith("/q/metrics") || p.equals("/")));
    }

    @Test
    void gpuWorkersScheduleOnEveryHopperSku() throws Exception {
        JsonNode pod = workerPod("gpu");
        assertTrue(pod.path("nodeSelector").path("nvidia.com/gpu.product").isMissingNode());
        JsonNode term =
                pod.get("affinity")
                        .get("nodeAffinity")
                        .get("requiredDuringSchedulingIgnoredDuringExecution")
                        .get("nodeSelectorTerms")
                        .get(0)
                        .get("matchExpressions")
                        .get(0);
        assertEquals("nvidia.com/gpu.product", term.get("key").asText());
        assertEquals("In", term.get("operator").asText());
        Set<String> products = new HashSet<>();
        term.get("values").forEach(v -> products.add(v.asText()));
        assertTrue(
                products.containsAll(
                        List.of(
                                "NVIDIA-H100-80GB-HBM3",
                                "NVIDIA-H100-PCIe",
                                "NVIDIA-H100-NVL",
                                "NVIDIA-H200")),
                products.toString());
    }

    @Test
    void theJvmsAreSizedFromTheirRequestsNotTheNodesCores() throws Exception {
        Map<String, JsonNode> gpu = KubernetesManifestsTest.render("gpu");
        for (String app : List.of("gateway", "worker")) {
            JsonNode pod =
                    gpu.get("Deployment/rerank-" + app).get("spec").get("template").get("spec");
            JsonNode container = named(pod.get("containers"), app);
            JsonNode cpus = named(container.get("env"), "JAVA_ACTIVE_PROCESSORS");
            assertEquals(
                    "requests.cpu",
                    cpus.get("valueFrom").get("resourceFieldRef").get("resource").asText(),
                    app);
            String dockerfile =
                    Files.readString(DeploymentFilesTest.DOCKER.resolve("Dockerfile." + app));
            assertTrue(
                    dockerfile.contains("-XX:ActiveProcessorCount=${JAVA_ACTIVE_PROCESSORS}"),
                    app + ": the image passes the count to the JVM");
            assertTrue(
                    dockerfile.contains("-XX:+UseG1GC"),
                    app + ": under 1792 MB the JVM would pick the serial collector");
            assertFalse(
                    dockerfile.contains("--chown"),
                    app + ": the app's files belong to root, not to the user that runs it");
            assertTrue(
                    dockerfile.indexOf("quarkus-app/lib/") < dockerfile.indexOf("quarkus-app/app/")
                            && dockerfile.contains("quarkus-app/lib/"),
                    app + ": dependencies in their own layer, before the app's classes");
        }
    }

    @Test
    void aWorkerRolloutNeedsNoSpareGpu() throws Exception {
        JsonNode strategy =
                KubernetesManifestsTest.render("gpu")
                        .get("Deployment/rerank-worker")
                        .get("spec")
                        .get("strategy");
        assertEquals("RollingUpdate", strategy.get("type").asText());
        assertEquals(0, strategy.get("rollingUpdate").get("maxSurge").asInt());
        assertEquals(1, strategy.get("rollingUpdate").get("maxUnavailable").asInt());
    }

    @Test
    void noPolicyClaimsToFenceWhatStrimziOpensToAll() throws Exception {
        // Strimzi's own policy opens the metrics port (9404) to every pod
        assertFalse(
                KubernetesManifestsTest.render("gpu")
                        .containsKey("NetworkPolicy/rerank-kafka-metrics"));
        assertFalse(walkthrough().contains("Kafka's metrics port only to `monitoring`"));
    }
}
