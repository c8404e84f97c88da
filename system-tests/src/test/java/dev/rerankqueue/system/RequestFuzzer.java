package dev.rerankqueue.system;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * Generates bad requests against every endpoint: broken and truncated JSON, wrong types in every
 * field, unicode edge cases, values over each limit, oversized bodies, wrong content types and
 * methods, junk ids, bad keys and headers. Deterministic for a seed.
 */
final class RequestFuzzer {

    private static final List<String> SYNC = List.of("/v1/rerank", "/v2/rerank", "/rerank");
    private static final String BATCH = "/v1/rerank/jobs:batch";
    private static final List<String> ODD_STRINGS =
            List.of(
                    "\\u0000",
                    "\\ud800",
                    "\\udfff",
                    "\\ud83d\\ude00",
                    "\\u202e",
                    "e\\u0301",
                    "\\u200b",
                    "\\uffff",
                    "\\\\",
                    "\\\"",
                    "%00",
                    "../../etc/passwd",
                    "<script>",
                    "' OR 1=1 --");
    private static final List<String> WRONG_VALUES =
            List.of(
                    "null",
                    "true",
                    "1",
                    "-1",
                    "1.5",
                    "1e400",
                    "-0",
                    "\"\"",
                    "\"x\"",
                    "[]",
                    "{}",
                    "[null]",
                    "[1,2]",
                    "{\"text\":1}",
                    "99999999999999999999999",
                    "\"" + "9".repeat(30) + "\"");

    private final Random random;
    private final String base;
    private final String key;
    private final TreeMap<String, Integer> kinds = new TreeMap<>();

    private final String knownBatch;

    /**
     * @param knownBatch a batch of {@code key}'s tenant, whose id the fuzzer also sends with
     *     suffixes
     */
    RequestFuzzer(long seed, String base, String key, String knownBatch) {
        this.random = new Random(seed);
        this.base = base;
        this.key = key;
        this.knownBatch = knownBatch;
    }

    String kinds() {
        return kinds.toString();
    }

    private <T> T pick(List<T> list) {
        return list.get(random.nextInt(list.size()));
    }

    private HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + key);
    }

    private HttpRequest post(String path, String contentType, byte[] body) {
        return at(path).header("content-type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }

    /**
     * A JSON body; for the bulk endpoint, a valid-looking job becomes one job of a bulk request
     * half of the time.
     */
    private HttpRequest postJson(String path, String json) {
        String body =
                path.equals(BATCH) && json.startsWith("{") && random.nextBoolean()
                        ? "{\"jobs\":[" + json + "]}"
                        : json;
        return post(path, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    HttpRequest next() {
        int kind = random.nextInt(100);
        int where = random.nextInt(4);
        String endpoint = where == 0 ? pick(SYNC) : where == 1 ? BATCH : "/v1/rerank/jobs";
        String k;
        HttpRequest req;
        if (kind < 12) {
            k = "random-bytes";
            byte[] b = new byte[random.nextInt(300)];
            random.nextBytes(b);
            req = post(endpoint, "application/json", b);
        } else if (kind < 24) {
            k = "truncated-json";
            String valid =
                    "{\"query\":\"capital of Peru\",\"documents\":[\"Lima\",{\"text\":\"Bananas\",\"id\":\"b\"}],\"top_n\":1}";
            req = postJson(endpoint, valid.substring(0, random.nextInt(valid.length() - 1)));
        } else if (kind < 50) {
            k = "wrong-type";
            String field =
                    pick(
                            List.of(
                                    "query",
                                    "documents",
                                    "top_n",
                                    "return_documents",
                                    "priority",
                                    "deadline_ms",
                                    "instruction",
                                    "model",
                                    "documents[0]",
                                    "texts"));
            String v = pick(WRONG_VALUES);
            String json =
                    switch (field) {
                        case "query" -> "{\"query\":" + v + ",\"documents\":[\"a\"]}";
                        case "documents" -> "{\"query\":\"q\",\"documents\":" + v + "}";
                        case "documents[0]" -> "{\"query\":\"q\",\"documents\":[" + v + "]}";
                        case "texts" -> "{\"query\":\"q\",\"texts\":" + v + "}";
                        default ->
                                "{\"query\":\"q\",\"documents\":[]"
                                        + ",\""
                                        + field
                                        + "\":"
                                        + v
                                        + "}";
                    };
            req = postJson(field.equals("texts") ? "/rerank" : endpoint, json);
        } else if (kind < 60) {
            k = "unicode-edge";
            String odd = pick(ODD_STRINGS);
            // an empty document list keeps these invalid, so that none turns into real work
            req =
                    postJson(
                            endpoint,
                            "{\"query\":\"q"
                                    + odd
                                    + "\",\"documents\":[\""
                                    + odd
                                    + "\"],\"top_n\":-1}");
        } else if (kind < 65) {
            k = "over-limits";
            req =
                    switch (random.nextInt(4)) {
                        case 0 ->
                                postJson(
                                        endpoint,
                                        "{\"query\":\""
                                                + "q".repeat(20_000)
                                                + "\",\"documents\":[\"a\"],\"top_n\":-1}");
                        case 1 ->
                                postJson(
                                        endpoint,
                                        "{\"query\":\"q\",\"documents\":["
                                                + "\"d\",".repeat(10_000)
                                                + "\"d\"]}");
                        case 2 ->
                                postJson(
                                        endpoint,
                                        "{\"query\":\"q\",\"documents\":[\""
                                                + "d".repeat(140_000)
                                                + "\"],\"top_n\":-1}");
                        default -> postJson(endpoint, "[".repeat(5_000) + "]".repeat(5_000));
                    };
        } else if (kind < 66) {
            k = "oversized-body";
            req =
                    postJson(
                            endpoint,
                            "{\"query\":\"q\",\"documents\":[\""
                                    + "x".repeat(4 * 1024 * 1024 + 1)
                                    + "\"]}");
        } else if (kind < 72) {
            k = "content-type";
            String ct =
                    pick(
                            List.of(
                                    "text/plain",
                                    "application/xml",
                                    "multipart/form-data; boundary=x",
                                    "application/x-www-form-urlencoded"));
            req =
                    post(
                            endpoint,
                            ct,
                            pick(List.of("query=q&documents=a", "<x/>", "{\"query\":\"\"}"))
                                    .getBytes(StandardCharsets.UTF_8));
        } else if (kind < 76) {
            k = "idempotency-key";
            req =
                    at("/v1/rerank/jobs")
                            .header("content-type", "application/json")
                            .header(
                                    "Idempotency-Key",
                                    pick(List.of("has space", "x".repeat(300), "tab\there")))
                            .POST(
                                    HttpRequest.BodyPublishers.ofString(
                                            "{\"query\":\"q\",\"documents\":[\"a\"]}"))
                            .build();
        } else if (kind < 88) {
            k = "junk-job-id";
            String id =
                    URLEncoder.encode(
                            pick(
                                    List.of(
                                            randomText(40),
                                            "00000000-0000-0000-0000-000000000000",
                                            "../../q/health",
                                            "x".repeat(2_000),
                                            "%00",
                                            "' OR 1=1")),
                            StandardCharsets.UTF_8);
            req =
                    switch (random.nextInt(6)) {
                        case 0 -> at("/v1/rerank/jobs/" + id).GET().build();
                        case 1 ->
                                at("/v1/rerank/jobs/" + id + "/events")
                                        .header("Accept", "text/event-stream")
                                        .GET()
                                        .build();
                        case 2 -> at("/v1/rerank/jobs/" + id).DELETE().build();
                        // a batch id with a suffix names another Redis key of the batch: it must be
                        // a 404, never a store error
                        case 3 ->
                                at("/v1/rerank/batches/"
                                                + (random.nextBoolean() ? knownBatch : id)
                                                + pick(List.of("", "%3Ajobs", ":jobs")))
                                        .GET()
                                        .build();
                        case 4 ->
                                at("/v1/rerank/batches/" + id + "/events")
                                        .header("Accept", "text/event-stream")
                                        .GET()
                                        .build();
                        default -> at("/v1/models").GET().build();
                    };
        } else if (kind < 94) {
            k = "method-or-path";
            req =
                    switch (random.nextInt(3)) {
                        case 0 ->
                                at(endpoint).PUT(HttpRequest.BodyPublishers.ofString("{}")).build();
                        case 1 ->
                                at("/v1/rerank/jobs")
                                        .method("PATCH", HttpRequest.BodyPublishers.ofString("{}"))
                                        .build();
                        default ->
                                at("/v3/"
                                                + URLEncoder.encode(
                                                        randomText(10), StandardCharsets.UTF_8))
                                        .GET()
                                        .build();
                    };
        } else {
            k = "bad-key";
            req =
                    HttpRequest.newBuilder(URI.create(base + endpoint))
                            .timeout(Duration.ofSeconds(30))
                            .header(
                                    "Authorization",
                                    pick(
                                            List.of(
                                                    "Bearer wrong",
                                                    "Basic abc",
                                                    "Bearer ",
                                                    "bearer " + key + "x")))
                            .header("content-type", "application/json")
                            .POST(
                                    HttpRequest.BodyPublishers.ofString(
                                            "{\"query\":\"q\",\"documents\":[\"a\"]}"))
                            .build();
        }
        kinds.merge(k, 1, Integer::sum);
        return req;
    }

    private String randomText(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.appendCodePoint(
                    random.nextInt(3) == 0
                            ? 0x20 + random.nextInt(0x2000)
                            : 'a' + random.nextInt(26));
        }
        return sb.toString();
    }
}
