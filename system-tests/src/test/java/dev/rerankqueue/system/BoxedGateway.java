package dev.rerankqueue.system;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * A gateway in a container of its own, built from {@code deploy/docker/Dockerfile.gateway} and the
 * packaged app (on the base in {@code JRE_IMAGE}), on the brokers' network (aliases {@code
 * kafka-N}, their INTERNAL listener on 19092) and Redis's (alias {@code redis}), its port mapped on
 * this host.
 */
final class BoxedGateway {

    static final int PORT = 8080;

    private BoxedGateway() {}

    private static ImageFromDockerfile image;

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
     * Starts a gateway taking API key {@code apiKey} for tenant acme, ready (its health says so).
     */
    static GenericContainer<?> start(Network kafka, Network redis, String apiKey, int brokers) {
        List<String> servers = new ArrayList<>();
        for (int n = 1; n <= brokers; n++) {
            servers.add("kafka-" + n + ":19092");
        }
        BoxedWorker.MoreNetworks gateway =
                new BoxedWorker.MoreNetworks(image(), List.of(redis), "gateway-2")
                        .withNetwork(kafka)
                        .withEnv("KAFKA_BOOTSTRAP_SERVERS", String.join(",", servers))
                        .withEnv("QUARKUS_REDIS_HOSTS", "redis://redis:6379")
                        .withEnv("RERANK_API_KEYS", "acme:" + apiKey)
                        // a tenth of the start's warm-up, as the gateways run as processes here
                        .withEnv("RERANK_WARMUP_REQUESTS", "500")
                        .withEnv("RERANK_WARMUP_HTTP_REQUESTS", "200")
                        .withExposedPorts(PORT)
                        .waitingFor(
                                Wait.forHttp("/q/health/ready")
                                        .forPort(PORT)
                                        .withStartupTimeout(Duration.ofMinutes(2)));
        gateway.start();
        return gateway;
    }

    /** Its base URL from this host. */
    static String url(GenericContainer<?> gateway) {
        return "http://127.0.0.1:" + gateway.getMappedPort(PORT);
    }
}
