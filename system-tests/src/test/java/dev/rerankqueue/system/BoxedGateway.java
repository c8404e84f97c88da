package dev.rerankqueue.system;

import com.github.dockerjava.api.DockerClient;
import dev.rerankqueue.testing.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * A gateway in a container of its own, built from {@code deploy/docker/Dockerfile.gateway} and the
 * packaged app (on the base in {@code JRE_IMAGE}), on the brokers' network (aliases {@code
 * kafka-N}, their INTERNAL listener on 19092) and Redis's (alias {@code redis}), its port bound to
 * a fixed port of this host so that it keeps its address when it is killed and started again.
 */
final class BoxedGateway {

    static final int PORT = 8080;

    private static ImageFromDockerfile image;

    private final BoxedWorker.MoreNetworks container;
    private final int hostPort;

    private BoxedGateway(BoxedWorker.MoreNetworks container, int hostPort) {
        this.container = container;
        this.hostPort = hostPort;
    }

    static synchronized ImageFromDockerfile image() {
        if (image == null) {
            image =
                    BoxedWorker.projectImage(
                            "rerank-queue/gateway-cluster-test",
                            "Dockerfile.gateway",
                            "api-gateway/target/quarkus-app");
        }
        return image;
    }

    /**
     * Starts gateway {@code name} taking API key {@code apiKey} for tenant acme, ready (its health
     * says so).
     */
    static BoxedGateway start(
            Network kafka, Network redis, String apiKey, int brokers, String name) {
        List<String> servers = new ArrayList<>();
        for (int n = 1; n <= brokers; n++) {
            servers.add("kafka-" + n + ":19092");
        }
        int hostPort = RedisServerProcess.FreePort.find();
        BoxedWorker.MoreNetworks gateway =
                new BoxedWorker.MoreNetworks(image(), List.of(redis), name)
                        .withHostPort(hostPort, PORT)
                        .withNetwork(kafka)
                        .withNetworkAliases(name)
                        .withEnv("KAFKA_BOOTSTRAP_SERVERS", String.join(",", servers))
                        .withEnv("QUARKUS_REDIS_HOSTS", "redis://redis:6379")
                        .withEnv("RERANK_API_KEYS", "acme:" + apiKey)
                        // a tenth of the start's warm-up: no scenario here measures a cold burst
                        .withEnv("RERANK_WARMUP_REQUESTS", "500")
                        .withEnv("RERANK_WARMUP_HTTP_REQUESTS", "200")
                        .waitingFor(
                                Wait.forHttp("/q/health/ready")
                                        .forPort(PORT)
                                        .withStartupTimeout(Duration.ofMinutes(2)));
        gateway.start();
        return new BoxedGateway(gateway, hostPort);
    }

    /** Its base URL from this host. */
    String baseUrl() {
        return "http://127.0.0.1:" + hostPort;
    }

    /**
     * Kills it ({@code docker kill}: SIGKILL to the JVM, the container's pid 1) and waits until the
     * container has stopped, so that it can be started again.
     */
    void kill() throws InterruptedException {
        DockerClient docker = DockerClientFactory.instance().client();
        docker.killContainerCmd(container.getContainerId()).exec();
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Boolean.TRUE.equals(
                        docker.inspectContainerCmd(container.getContainerId())
                                .exec()
                                .getState()
                                .getRunning())
                && System.nanoTime() < end) {
            Thread.sleep(50);
        }
    }

    /** Starts the killed container again, on the same networks and port. */
    void restart() {
        DockerClientFactory.instance()
                .client()
                .startContainerCmd(container.getContainerId())
                .exec();
    }

    /** Waits until its readiness says UP. */
    void awaitReady(Duration timeout) throws Exception {
        AppProcess.awaitReady(baseUrl(), timeout, () -> {}, "gateway not ready after " + timeout);
    }

    /** Everything it wrote, across restarts. */
    String logs() {
        return container.getLogs();
    }

    void stop() {
        container.stop();
    }
}
