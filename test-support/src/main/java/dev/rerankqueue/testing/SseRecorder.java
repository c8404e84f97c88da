package dev.rerankqueue.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A minimal server-sent-events client for tests: connects, records every event (and comment) until
 * the server ends the stream. Accepts both {@code event:x} and {@code event: x}, as the SSE spec
 * does.
 */
public final class SseRecorder implements AutoCloseable {

    /** One dispatched event; {@code name} is "message" when the server sent none. */
    public record Event(String name, String id, String data) {}

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final List<String> comments = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> ended = new CompletableFuture<>();
    private volatile int status;
    private volatile String contentType;
    private volatile HttpHeaders headers;
    private volatile InputStream body;

    private SseRecorder() {}

    /** Opens {@code url} in the background; the returned recorder fills as events arrive. */
    public static SseRecorder open(String url, String... headers) {
        SseRecorder r = new SseRecorder();
        HttpRequest.Builder req =
                HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").GET();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            req.header(headers[i], headers[i + 1]);
        }
        HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .build()
                .sendAsync(req.build(), HttpResponse.BodyHandlers.ofInputStream())
                .thenAccept(
                        resp -> {
                            r.status = resp.statusCode();
                            r.contentType = resp.headers().firstValue("content-type").orElse("");
                            r.headers = resp.headers();
                            r.body = resp.body();
                            try (BufferedReader in =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    resp.body(), StandardCharsets.UTF_8))) {
                                r.read(in);
                                r.ended.complete(r.status);
                            } catch (IOException e) {
                                r.ended.completeExceptionally(e);
                            }
                        })
                .exceptionally(
                        e -> {
                            r.ended.completeExceptionally(e);
                            return null;
                        });
        return r;
    }

    private void read(BufferedReader in) throws IOException {
        String name = null;
        String id = null;
        StringBuilder data = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    events.add(new Event(name == null ? "message" : name, id, data.toString()));
                }
                name = null;
                data = null;
                continue;
            }
            if (line.startsWith(":")) {
                comments.add(line.substring(1).trim());
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "event" -> name = value;
                case "id" -> id = value;
                case "data" ->
                        data =
                                data == null
                                        ? new StringBuilder(value)
                                        : data.append('\n').append(value);
                default -> {}
            }
        }
    }

    /** Hangs up, as a client closing its connection would. */
    @Override
    public void close() {
        InputStream in = body;
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    public List<Event> events() {
        return events;
    }

    public List<String> comments() {
        return comments;
    }

    /** Completes with the HTTP status when the server closes the stream. */
    public CompletableFuture<Integer> ended() {
        return ended;
    }

    public int status() {
        return status;
    }

    /** A response header's first value, or null (before the response arrived too). */
    public String header(String name) {
        HttpHeaders h = headers;
        return h == null ? null : h.firstValue(name).orElse(null);
    }

    public String contentType() {
        return contentType;
    }
}
