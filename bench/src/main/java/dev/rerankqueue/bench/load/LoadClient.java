package dev.rerankqueue.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.messaging.JobCodec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The load generator's HTTP side: one JDK client, asynchronous sends, JSON helpers. */
public final class LoadClient implements AutoCloseable {

    private final ExecutorService executor =
            Executors.newFixedThreadPool(
                    8,
                    r -> {
                        Thread t = new Thread(r, "load-client");
                        t.setDaemon(true);
                        return t;
                    });
    private final HttpClient http =
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .executor(executor)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
    private final String apiKey;

    public LoadClient(String apiKey) {
        this.apiKey = apiKey;
    }

    public HttpRequest.Builder request(String url, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        if (apiKey != null && !apiKey.isBlank()) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    public CompletableFuture<HttpResponse<String>> postJson(
            String url, String json, Duration timeout) {
        return http.sendAsync(
                request(url, timeout)
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(
                request(url, Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public JsonNode getJson(String url) throws IOException, InterruptedException {
        return JobCodec.mapper().readTree(get(url).body());
    }

    public HttpClient http() {
        return http;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
