package dev.rerankqueue.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.messaging.JobCodec;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code upload}: one JSON Lines upload of many jobs, generated as it is sent (chunked), while the
 * gateway's heap is sampled: the gateway reads the upload line by line, so its heap must not grow
 * with the upload's size.
 */
public final class Upload extends Harness {

    public Upload(Stack stack, int seconds, Path charts) {
        super(stack, seconds, charts);
    }

    public void run(int jobs) throws Exception {
        say("== upload: %d jobs x %d documents as one JSON Lines body ==", jobs, DOCS);
        Workload w = new Workload(5, DOCS, DOC_CHARS);
        double before = heapUsed();
        double max = heapMax();
        AtomicLong peak = new AtomicLong((long) before);
        AtomicLong bytes = new AtomicLong();
        InputStream body =
                new InputStream() {
                    int line;
                    byte[] current = new byte[0];
                    int pos;

                    @Override
                    public int read() {
                        if (pos == current.length) {
                            if (line == jobs) {
                                return -1;
                            }
                            line++;
                            current = (w.nextJson() + "\n").getBytes(StandardCharsets.UTF_8);
                            bytes.addAndGet(current.length);
                            pos = 0;
                        }
                        return current[pos++];
                    }
                };
        long start = System.nanoTime();
        HttpResponse<String> r;
        try (AutoCloseable sampler =
                every500ms(() -> peak.accumulateAndGet((long) heapUsedUnchecked(), Math::max))) {
            r =
                    client.http()
                            .send(
                                    client.request(
                                                    stack.gateway() + "/v1/rerank/jobs:batch",
                                                    Duration.ofMinutes(30))
                                            .header("content-type", "application/x-ndjson")
                                            .POST(
                                                    HttpRequest.BodyPublishers.ofInputStream(
                                                            () -> new BufferedInputStream(body)))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        JsonNode view = JobCodec.mapper().readTree(r.body());
        long accepted = view.path("accepted").asLong();
        double mb = bytes.get() / 1e6;
        say(
                "HTTP %d: %d of %d jobs accepted, %d invalid%s, %.1f MB in %.1f s (%.0f jobs/s)",
                r.statusCode(),
                accepted,
                jobs,
                view.path("invalid").asLong(),
                view.has("stopped_at_line")
                        ? ", stopped at line " + view.get("stopped_at_line").asLong()
                        : "",
                mb,
                seconds,
                accepted / seconds);
        say(
                "gateway heap: %.0f MB before, at most %.0f MB sampled during the upload (of %.0f MB"
                        + " max heap)",
                before / 1e6, peak.get() / 1e6, max / 1e6);
        figures.put("jobs", jobs);
        figures.put("accepted", accepted);
        figures.put("upload_mb", round3(mb));
        figures.put("seconds", round3(seconds));
        figures.put("jobs_per_s", round3(accepted / seconds));
        figures.put("heap_before_mb", round3(before / 1e6));
        figures.put("heap_peak_mb", round3(peak.get() / 1e6));
        figures.put("heap_max_mb", round3(max / 1e6));
        emit("upload");
    }

    private double heapUsedUnchecked() {
        try {
            return heapUsed();
        } catch (Exception e) {
            return 0;
        }
    }

    private double heapUsed() throws Exception {
        return gatewayMetric("jvm_memory_used_bytes{area=\"heap\"");
    }

    private double heapMax() throws Exception {
        return gatewayMetric("jvm_memory_max_bytes{area=\"heap\"");
    }

    /** The sum of a gateway metric's series starting with {@code prefix}. */
    private double gatewayMetric(String prefix) throws Exception {
        double sum = 0;
        for (String line :
                client.get(URI.create(stack.gateway()).resolve("/q/metrics").toString())
                        .body()
                        .split("\n")) {
            if (line.startsWith(prefix)) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                sum += v > 0 ? v : 0;
            }
        }
        return sum;
    }
}
