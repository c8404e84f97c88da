package dev.rerankqueue.bench.scenario;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.bench.load.AbuseBodies;
import dev.rerankqueue.bench.load.LoadClient;
import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.messaging.JobCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code neighbour}: what one tenant's abuse costs another. A well-behaved tenant sends synchronous
 * reranks ({@link #DOCS} documents) at 10 % of the measured capacity, open loop, first alone, then
 * while a second tenant sends the security audit's reproductions back to back from {@link #ABUSERS}
 * connections (the largest bodies, repeated {@code rank_fields}, amplifying {@code chunking},
 * thousands of {@code /score} queries, a body declared far over the cap, too many documents,
 * listings with results). Reports the neighbour's p50/p99 alone and under abuse, their ratio, and
 * every status the abuser got (a 5xx is a fault). The two tenants are two API keys.
 */
public class Neighbour extends Harness {

    /** Connections the abuser sends its cases on, each back to back. */
    static final int ABUSERS = 8;

    final LoadClient abuser;
    private final String abuserKey;

    /** Phases of the neighbour's calls so far. */
    private int phases;

    public Neighbour(Stack stack, String abuserKey, int seconds, Path charts) {
        super(stack, seconds, charts);
        if (abuserKey == null || abuserKey.equals(stack.apiKey())) {
            throw new IllegalArgumentException(
                    "neighbour needs two tenants: --api-key for the neighbour and another"
                            + " --abuser-key");
        }
        this.abuser = new LoadClient(abuserKey);
        this.abuserKey = abuserKey;
    }

    /** One abuse case: a name and how to send it once, returning the status it got. */
    private record Case(String name, Sender sender) {}

    @FunctionalInterface
    private interface Sender {
        int send() throws Exception;
    }

    public void run() throws Exception {
        say(
                "== neighbour: a tenant's sync p99 alone and while another tenant sends the abuse cases ==");
        double capacity =
                measureCapacity(stack.emulators().get(0), 8, 16) * stack.emulators().size();
        double rate = 0.1 * capacity / DOCS;
        say(
                "neighbour: %.1f sync calls/s of %d documents (10 %% of capacity), 10 s warm-up, then %d s"
                        + " recorded per phase",
                rate, DOCS, seconds);
        Recorder alone = neighbour(rate, 10);
        say("  alone:       %s", alone.summary());
        List<Case> cases = cases();
        Map<String, Map<Integer, Integer>> statuses = new ConcurrentSkipListMap<>();
        AtomicBoolean abusing = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        AtomicInteger sent = new AtomicInteger();
        for (int t = 0; t < ABUSERS; t++) {
            int first = t;
            Thread thread =
                    new Thread(
                            () -> {
                                for (int i = first; abusing.get(); i++) {
                                    Case c = cases.get(i % cases.size());
                                    int status;
                                    try {
                                        status = c.sender().send();
                                    } catch (Exception e) {
                                        status = -1; // no answer (connection closed or timed out)
                                    }
                                    sent.incrementAndGet();
                                    statuses.computeIfAbsent(
                                                    c.name(), k -> new ConcurrentHashMap<>())
                                            .merge(status, 1, Integer::sum);
                                }
                            },
                            "abuser-" + t);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        Recorder underAbuse = neighbour(rate, 5);
        abusing.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
        say("  under abuse: %s", underAbuse.summary());
        say("abuser: %d requests; statuses by case (-1: no answer):", sent.get());
        statuses.forEach((name, byStatus) -> say("  %-28s %s", name, new TreeMap<>(byStatus)));
        long faults =
                statuses.values().stream()
                        .flatMap(m -> m.entrySet().stream())
                        .filter(e -> e.getKey() >= 500 || e.getKey() < 0)
                        .mapToLong(Map.Entry::getValue)
                        .sum();
        double ratio = underAbuse.percentileMillis(99) / alone.percentileMillis(99);
        say(
                "neighbour p99 under abuse / alone: %.2f (goal <= 2); abuser answers 5xx or none: %d",
                ratio, faults);
        figures.put("neighbour_calls_per_s", round3(rate));
        figures.put("alone", percentiles(alone));
        figures.put("under_abuse", percentiles(underAbuse));
        figures.put("p99_ratio", round3(ratio));
        figures.put("abuser_requests", sent.get());
        figures.put("abuser_5xx_or_unanswered", faults);
        Map<String, Object> byCase = new LinkedHashMap<>();
        statuses.forEach((name, byStatus) -> byCase.put(name, new TreeMap<>(byStatus)));
        figures.put("abuser_statuses", byCase);
        emit("neighbour");
        abuser.close();
    }

    static Map<String, Object> percentiles(Recorder r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50_ms", r.percentileMillis(50));
        m.put("p99_ms", r.percentileMillis(99));
        m.put("calls", r.count());
        return m;
    }

    /**
     * The neighbour's calls at {@code rate}, open loop: {@code warmup} seconds unrecorded, then
     * {@link #seconds} recorded from each call's intended start. A call that fails counts at 30 s.
     */
    Recorder neighbour(double rate, int warmup) {
        // each phase its own requests: a phase repeating the last one's would be answered from the
        // score cache
        Workload w = new Workload(5 + 1_000L * phases++, DOCS, DOC_CHARS);
        OpenLoop run = openLoop("/v1/rerank", w::nextJson, 200, rate, warmup);
        int failed = run.failed().values().stream().mapToInt(Integer::intValue).sum();
        if (failed > 0) {
            say("  the neighbour's calls that failed: %d (counted at 30 s)", failed);
        }
        return run.latency();
    }

    /** The audit's reproductions and each field's worst case, as the abuser sends them. */
    private List<Case> cases() throws IOException {
        List<Case> cases = new ArrayList<>();
        cases.add(
                post(
                        "rank_fields repeated (sync)",
                        "/v1/rerank",
                        AbuseBodies.repeatedRankFields(500_000)));
        cases.add(
                post(
                        "rank_fields x documents",
                        "/v1/rerank/jobs",
                        AbuseBodies.rankFieldsOverDocuments(20_000, 100_000)));
        cases.add(
                post("chunking amplification", "/v1/rerank/jobs", AbuseBodies.amplifyingChunks()));
        cases.add(post("score, 5,000 queries", "/score", AbuseBodies.distinctScoreQueries(5000)));
        ObjectNode many = JobCodec.mapper().createObjectNode().put("query", "q");
        ArrayNode manyDocs = many.putArray("documents");
        for (int i = 0; i <= 10_000; i++) {
            manyDocs.add("d" + i);
        }
        cases.add(post("documents over the limit", "/v1/rerank/jobs", json(many)));
        cases.add(new Case("700 MB declared, ndjson", () -> declaredOnly(700L << 20)));
        cases.add(
                new Case(
                        "list with results",
                        () ->
                                abuser.http()
                                        .send(
                                                abuser.request(
                                                                stack.gateway()
                                                                        + "/v1/rerank/jobs?limit=100&results=true",
                                                                Duration.ofSeconds(30))
                                                        .GET()
                                                        .build(),
                                                HttpResponse.BodyHandlers.discarding())
                                        .statusCode()));
        return cases;
    }

    private static String json(Object node) throws IOException {
        return JobCodec.mapper().writeValueAsString(node);
    }

    private Case post(String name, String path, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return new Case(
                name,
                () ->
                        abuser.http()
                                .send(
                                        abuser.request(
                                                        stack.gateway() + path,
                                                        Duration.ofSeconds(30))
                                                .header("content-type", "application/json")
                                                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode());
    }

    /**
     * Headers declaring {@code length} bytes of JSON Lines to a buffered route, and no body: the
     * status the gateway answers from the headers alone.
     */
    private int declaredOnly(long length) throws IOException {
        URI uri = URI.create(stack.gateway());
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(
                    ("POST /v1/rerank/jobs HTTP/1.1\r\nHost: "
                                    + uri.getHost()
                                    + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: "
                                    + length
                                    + "\r\n"
                                    + "Authorization: Bearer "
                                    + abuserKey
                                    + "\r\n"
                                    + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = new byte[12];
            int n = in.readNBytes(head, 0, head.length);
            String line = new String(head, 0, n, StandardCharsets.US_ASCII);
            return line.startsWith("HTTP/1.1 ") ? Integer.parseInt(line.substring(9, 12)) : -1;
        }
    }
}
