package dev.rerankqueue.system;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.model.ContainerNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * A worker in a container of its own, built from {@code deploy/docker/Dockerfile.worker} and the
 * packaged app (on the base in {@code JRE_IMAGE}), on three networks: one to the Kafka brokers
 * (aliases {@code kafka-N}, their INTERNAL listener on 19092), one to Redis (alias {@code redis})
 * and one to its model server, so that a test can cut it off from Kafka or Redis alone.
 */
final class BoxedWorker {

    private BoxedWorker() {}

    /** The image, built once per run (Docker's layer cache makes a rebuild cheap). */
    private static ImageFromDockerfile image;

    static synchronized ImageFromDockerfile image() {
        if (image == null) {
            image =
                    projectImage(
                            "rerank-queue/worker-cluster-test",
                            "Dockerfile.worker",
                            "rerank-worker/target/quarkus-app");
        }
        return image;
    }

    /**
     * An image of this project: {@code deploy/docker/DOCKERFILE} with the built {@code paths}
     * (relative to the project root) as its context, on the JRE base in {@code JRE_IMAGE}.
     */
    static ImageFromDockerfile projectImage(String name, String dockerfile, String... paths) {
        ImageFromDockerfile built =
                new ImageFromDockerfile(name, false)
                        .withFileFromPath(
                                "deploy/docker/" + dockerfile,
                                DeploymentFilesTest.DOCKER.resolve(dockerfile));
        for (String path : paths) {
            built.withFileFromPath(path, DeploymentFilesTest.ROOT.resolve(path));
        }
        return built.withDockerfilePath("deploy/docker/" + dockerfile)
                .withBuildArg(
                        "JRE_IMAGE",
                        System.getenv()
                                .getOrDefault("JRE_IMAGE", "eclipse-temurin:17.0.16_8-jre-noble"));
    }

    /**
     * Starts worker {@code id} on {@code kafka} and {@code redis}, scoring with the vLLM-shaped
     * server at {@code scorerUrl} on {@code model}, ready (its health says so).
     */
    static GenericContainer<?> start(
            Network kafka, Network redis, Network model, String scorerUrl, String id, int brokers) {
        List<String> servers = new ArrayList<>();
        for (int n = 1; n <= brokers; n++) {
            servers.add("kafka-" + n + ":19092");
        }
        MoreNetworks worker = new MoreNetworks(image(), List.of(redis, model), id);
        worker.withNetwork(kafka)
                .withNetworkAliases(id)
                .withEnv("KAFKA_BOOTSTRAP_SERVERS", String.join(",", servers))
                .withEnv("QUARKUS_REDIS_HOSTS", "redis://redis:6379")
                .withEnv("RERANK_WORKER_ID", id)
                .withEnv("RERANK_WORKER_SCORER_TYPE", "vllm")
                .withEnv("RERANK_WORKER_SCORER_VLLM_URL", scorerUrl)
                .withExposedPorts(8081)
                .waitingFor(
                        Wait.forHttp("/q/health/ready")
                                .forPort(8081)
                                .withStartupTimeout(Duration.ofMinutes(2)));
        worker.start();
        return worker;
    }

    /** A container joined to more networks once created, before it starts. */
    static final class MoreNetworks extends GenericContainer<MoreNetworks> {
        private final List<Network> more;
        private final String alias;

        MoreNetworks(ImageFromDockerfile image, List<Network> more, String alias) {
            super(image);
            this.more = more;
            this.alias = alias;
        }

        @Override
        protected void containerIsCreated(String containerId) {
            more.forEach(n -> connect(containerId, n, alias));
        }

        /** Binds {@code containerPort} to {@code hostPort} of this host, kept across restarts. */
        MoreNetworks withHostPort(int hostPort, int containerPort) {
            addFixedExposedPort(hostPort, containerPort);
            return this;
        }
    }

    /** Joins {@code container} to {@code network} under {@code alias}. */
    static void connect(String container, Network network, String alias) {
        client().connectToNetworkCmd()
                .withContainerId(container)
                .withNetworkId(network.getId())
                .withContainerNetwork(new ContainerNetwork().withAliases(alias))
                .exec();
    }

    /** Takes {@code container} off {@code network}: every connection over it is cut. */
    static void disconnect(String container, Network network) {
        client().disconnectFromNetworkCmd()
                .withContainerId(container)
                .withNetworkId(network.getId())
                .withForce(true)
                .exec();
    }

    /**
     * Freezes every process of {@code container} (the cgroup freezer, as {@code docker pause}): a
     * worker stopped mid-batch whose connections stay open, as a long GC pause or a stalled node
     * leaves it. The freezer can fail to settle while a process in the container is being forked
     * (Docker's health check runs one every 10 s), and runc then gives up with "unable to freeze";
     * after three such tries the JVM, the container's only long-lived process, is stopped with
     * {@code SIGSTOP} instead, which leaves its connections open just the same.
     *
     * @return what lets the container run on where it stopped, and how it was frozen
     */
    static Frozen freeze(String container) {
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                client().pauseContainerCmd(container).exec();
                return new Frozen(
                        "docker pause", () -> client().unpauseContainerCmd(container).exec());
            } catch (InternalServerErrorException e) {
                System.err.printf(
                        "[cluster] pause %d of %s failed: %s%n",
                        attempt, container, e.getMessage());
                sleep(500);
            }
        }
        client().killContainerCmd(container).withSignal("SIGSTOP").exec();
        return new Frozen(
                "SIGSTOP", () -> client().killContainerCmd(container).withSignal("SIGCONT").exec());
    }

    /** A frozen container: {@link #how} it was frozen, and {@link #thaw} to let it run on. */
    record Frozen(String how, Runnable thaw) {}

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static DockerClient client() {
        return DockerClientFactory.instance().client();
    }
}
