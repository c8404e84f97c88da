package dev.rerankqueue.system;

import dev.rerankqueue.messaging.JobCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The vLLM emulator (an emulator: a GPU vLLM cannot run here) in a container of its own, built from
 * {@code deploy/docker/Dockerfile.emulator} and the packaged bench jar on the base in {@code
 * JRE_IMAGE}, as the sidecar a worker scores with; it counts every pair its forward passes scored.
 */
final class BoxedEmulator {

    static final int PORT = 8000;

    private BoxedEmulator() {}

    private static ImageFromDockerfile image;

    static synchronized ImageFromDockerfile image() {
        if (image == null) {
            image =
                    BoxedWorker.projectImage(
                            "rerank-queue/emulator-cluster-test",
                            "Dockerfile.emulator",
                            "bench/target/bench.jar",
                            "bench/target/lib");
        }
        return image;
    }

    /** Starts an emulator on {@code network} as {@code alias}, its port mapped on this host. */
    static GenericContainer<?> start(Network network, String alias) {
        GenericContainer<?> emulator =
                new GenericContainer<>(image())
                        .withNetwork(network)
                        .withNetworkAliases(alias)
                        .withExposedPorts(PORT)
                        .waitingFor(
                                Wait.forHttp("/health")
                                        .forPort(PORT)
                                        .withStartupTimeout(Duration.ofMinutes(2)));
        emulator.start();
        return emulator;
    }

    /** Its URL from this host. */
    static String url(GenericContainer<?> emulator) {
        return "http://localhost:" + emulator.getMappedPort(PORT);
    }

    /** Pairs its forward passes have scored since it started ({@code /emulator/stats}). */
    static long pairs(GenericContainer<?> emulator) throws Exception {
        HttpResponse<String> r =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(url(emulator) + "/emulator/stats"))
                                        .timeout(Duration.ofSeconds(10))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        return JobCodec.mapper().readTree(r.body()).get("pairs").asLong();
    }
}
