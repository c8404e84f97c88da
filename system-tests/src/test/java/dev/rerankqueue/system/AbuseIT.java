package dev.rerankqueue.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.emulator.EmulatorSettings;
import dev.rerankqueue.bench.emulator.VllmEmulator;
import dev.rerankqueue.bench.load.AbuseBodies;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.testing.KafkaBroker;
import dev.rerankqueue.testing.RawHttp;
import dev.rerankqueue.testing.RedisServerProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The abuse suite: each worst case a client can send (the largest sizes, duplicates, amplification)
 * goes to the packaged gateway as a user runs it (512 MB heap, API keys on, a worker in front of
 * the vLLM emulator, which counts the tokens it is sent). Each must get a 4xx, never a 5xx;
 * afterwards the gateway still serves, its heap after a full GC has grown by less than 64 MB, and a
 * second tenant's job succeeds. Every new field or route adds its worst case here.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AbuseIT {

    static final String ABUSER = "acme-key";
    static final String NEIGHBOUR = "globex-key";

    /** A tenant without a token quota, for large but allowed work. */
    /**
     * A tenant whose jobs keep large results, in a case of its own (the list case counts BULK's).
     */
    static final String HOARDER = "umbrella-key";

    static final String BULK = "initech-key";

    /** The heap growth the suite allows the gateway per case, after a full GC. */
    static final long HEAP_GROWTH_LIMIT = 64L << 20;

    static KafkaBroker kafka;
    static RedisServerProcess redis;
    static VllmEmulator emulator;
    static AppProcess gateway;
    static AppProcess worker;
    static final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private long heapBefore;

    @BeforeAll
    static void startSystem() throws Exception {
        kafka = KafkaBroker.start();
        redis = new RedisServerProcess().start();
        emulator = VllmEmulator.start(EmulatorSettings.defaults(0));
        Map<String, String> infra =
                Map.of(
                        "kafka.bootstrap.servers", kafka.bootstrapServers(),
                        "quarkus.redis.hosts", redis.url());
        Map<String, String> gatewayProps = new HashMap<>(infra);
        // the abuser's token rate: a bucket of 2 s holds 40,000 tokens
        gatewayProps.put("rerank.quotas.tenant.acme.tokens-per-second", "20000");
        // a trickling upload is measured over 3 s of waiting on it, not 30 s
        gatewayProps.put("rerank.limits.upload-min-rate-window", "3s");
        gateway =
                AppProcess.start(
                        "abuse-gateway",
                        "gateway.jar",
                        RedisServerProcess.FreePort.find(),
                        gatewayProps,
                        Map.of(
                                "RERANK_API_KEYS",
                                "acme:"
                                        + ABUSER
                                        + ",globex:"
                                        + NEIGHBOUR
                                        + ",initech:"
                                        + BULK
                                        + ",umbrella:"
                                        + HOARDER));
        Map<String, String> workerProps = new HashMap<>(infra);
        workerProps.put("rerank.worker.scorer.type", "vllm");
        workerProps.put("rerank.worker.scorer.vllm.url", "http://127.0.0.1:" + emulator.port());
        // every pair reaches the model server, so its token count is the work done
        workerProps.put("rerank.worker.cache.max-entries", "0");
        worker =
                AppProcess.start(
                        "abuse-worker",
                        "worker.jar",
                        RedisServerProcess.FreePort.find(),
                        workerProps);
        gateway.awaitReady(Duration.ofSeconds(90));
        worker.awaitReady(Duration.ofSeconds(90));
    }

    @AfterAll
    static void stopSystem() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {worker, gateway, emulator, redis, kafka}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @BeforeEach
    void measureHeap() throws Exception {
        heapBefore = gateway.heapAfterGcBytes();
    }

    /** After every case: the gateway lives, kept its heap, and serves the other tenant. */
    @AfterEach
    void gatewayStillServesTheOtherTenant(TestInfo test) throws Exception {
        long heapAfter = gateway.heapAfterGcBytes();
        System.out.printf(
                "abuse case %s: gateway heap after a full GC %d -> %d MiB%n",
                test.getDisplayName(), heapBefore >> 20, heapAfter >> 20);
        assertTrue(
                heapAfter - heapBefore < HEAP_GROWTH_LIMIT,
                "the gateway's heap after a full GC grew by "
                        + ((heapAfter - heapBefore) >> 20)
                        + " MiB");
        HttpResponse<String> r =
                post(
                        "/v1/rerank",
                        NEIGHBOUR,
                        "application/json",
                        "{\"query\":\"capital of China?\",\"documents\":[\"Pandas eat bamboo.\","
                                + "\"Beijing is the capital of China.\"]}");
        assertEquals(200, r.statusCode(), r.body());
    }

    // M4: one tenant's stored results must not bring Redis to storage-full for everyone
    @Test
    void aTenantsStoredResultsStopAtItsShareOfRedis() throws Exception {
        // Redis of 96 MB: half of it (rerank.quotas.max-stored-share) is one tenant's share
        redisCommand("CONFIG", "SET", "maxmemory", Long.toString(96L << 20));
        try {
            Thread.sleep(1500); // the gateway reads maxmemory every second
            String body = jobKeepingLargeDocuments();
            List<String> ids = new ArrayList<>();
            HttpResponse<String> refused = null;
            int waits = 0;
            for (int i = 0; i < 30 && refused == null; i++) {
                HttpResponse<String> r = post("/v1/rerank/jobs", HOARDER, "application/json", body);
                if (r.statusCode() == 202) {
                    ids.add(JobCodec.mapper().readTree(r.body()).get("id").asText());
                } else if (r.statusCode() == 429
                        && r.body().contains("max-backlog-share")
                        && waits++ < 10) {
                    // where the workers drain slowly the tenant's share of the backlog stops it
                    // first: its jobs end, then the same submission again (what is checked here is
                    // the share of Redis, which the finished jobs keep)
                    for (String id : ids) {
                        awaitSucceeded(id, HOARDER);
                    }
                    i--;
                } else {
                    refused = r;
                }
            }
            assertTrue(refused != null, "30 jobs of 3.9 MB accepted: nothing stopped the tenant");
            assertEquals(429, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("rerank.quotas.max-stored-share"), refused.body());
            assertTrue(ids.size() <= 13, ids.size() + " jobs accepted before the 429");
            for (String id : ids) {
                awaitSucceeded(id, HOARDER);
            }
            // Redis is not full: the other tenant's async job is accepted (the sync call after
            // every case checks the same through /v1/rerank)
            HttpResponse<String> other =
                    post(
                            "/v1/rerank/jobs",
                            NEIGHBOUR,
                            "application/json",
                            "{\"query\":\"q\",\"return_documents\":true,\"documents\":[\"a\"]}");
            assertEquals(202, other.statusCode(), other.body());
        } finally {
            redisCommand("CONFIG", "SET", "maxmemory", "0");
            Thread.sleep(1500);
        }
    }

    /**
     * A job whose result keeps its 30 documents of 130,000 characters (return_documents): about 3.9
     * MB in Redis once scored.
     */
    static String jobKeepingLargeDocuments() {
        String doc = "word ".repeat(26_000);
        return "{\"query\":\"q\",\"return_documents\":true,\"documents\":["
                + String.join(",", Collections.nCopies(30, "\"" + doc + "\""))
                + "]}";
    }

    /** One command to the suite's Redis over RESP; its reply's first line. */
    static String redisCommand(String... args) throws IOException {
        try (Socket s = new Socket("127.0.0.1", redis.port())) {
            StringBuilder cmd = new StringBuilder("*" + args.length + "\r\n");
            for (String a : args) {
                cmd.append('$')
                        .append(a.getBytes(StandardCharsets.UTF_8).length)
                        .append("\r\n")
                        .append(a)
                        .append("\r\n");
            }
            s.getOutputStream().write(cmd.toString().getBytes(StandardCharsets.UTF_8));
            return new BufferedReader(
                            new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
        }
    }

    // H2: the client's Content-Type must not pick the body cap of a buffered route
    @Test
    void aJsonLinesTypeOnABufferedRouteGetsTheBufferedCap() throws Exception {
        long size = 700L << 20;
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/rerank/jobs"))
                        .header("Authorization", "Bearer " + ABUSER)
                        .header("Content-Type", "application/x-ndjson")
                        .timeout(Duration.ofSeconds(60))
                        .POST(
                                HttpRequest.BodyPublishers.fromPublisher(
                                        HttpRequest.BodyPublishers.ofInputStream(
                                                () -> new Filler(size)),
                                        size))
                        .build();
        int status = statusOrClosed(request);
        assertEquals(413, status, "a 700 MB body to a buffered route");
    }

    // M7 (a): uploads that trickle a byte at a time, each holding a worker thread of the gateway
    @Test
    void tricklingUploadsAreStoppedAtTheLineTheyReached() throws Exception {
        List<Socket> uploads = new ArrayList<>();
        try {
            // the tenant's two uploads at once (rerank.limits.max-uploads-per-tenant)
            for (int i = 0; i < 2; i++) {
                Socket socket = new Socket("127.0.0.1", URI.create(gateway.baseUrl()).getPort());
                socket.setSoTimeout(30_000);
                socket.getOutputStream()
                        .write(
                                ("POST /v1/rerank/jobs:batch HTTP/1.1\r\nHost: localhost\r\n"
                                                + "Authorization: Bearer "
                                                + BULK
                                                + "\r\nContent-Type: application/x-ndjson\r\n"
                                                + "Connection: close\r\n"
                                                + "Content-Length: 1000000\r\n\r\n"
                                                + "{\"query\":\"trickle\",\"documents\":[\"a\"]}\n")
                                        .getBytes(StandardCharsets.UTF_8));
                uploads.add(socket);
            }
            long start = System.nanoTime();
            List<String> answers = new ArrayList<>();
            while (answers.size() < uploads.size() && System.nanoTime() - start < 25_000_000_000L) {
                for (Socket socket : uploads) {
                    if (socket.getInputStream().available() > 0) {
                        answers.add(RawHttp.readResponse(socket.getInputStream()));
                        continue;
                    }
                    try {
                        socket.getOutputStream().write(' ');
                        socket.getOutputStream().flush();
                    } catch (IOException closed) {
                        // answered and closed: read below
                    }
                }
                Thread.sleep(250);
            }
            assertEquals(2, answers.size(), "both uploads answered: " + answers);
            for (String answer : answers) {
                assertTrue(answer.startsWith("HTTP/1.1 202"), answer);
                assertTrue(answer.contains("/problems/upload-too-slow"), answer);
                assertTrue(answer.contains("\"accepted\":1"), answer);
            }
        } finally {
            for (Socket socket : uploads) {
                socket.close();
            }
        }
    }

    // LargeBodies: many bodies near the cap at once from one tenant wait their turn, bounded
    @Test
    void manyLargeBodiesAtOnceWaitInABoundedQueue() throws Exception {
        String body =
                "{\"query\":\"q\",\"documents\":[\"a\"],\"padding\":\""
                        + "x".repeat(3_900_000)
                        + "\"}";
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            sent.add(
                    http.sendAsync(
                            HttpRequest.newBuilder(
                                            URI.create(gateway.baseUrl() + "/v1/rerank/jobs"))
                                    .header("Authorization", "Bearer " + HOARDER)
                                    .header("Content-Type", "application/json")
                                    .timeout(Duration.ofSeconds(60))
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()));
        }
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get(90, TimeUnit.SECONDS);
            statuses.merge(r.statusCode(), 1, Integer::sum);
            // parsed in its turn and refused for its unknown field, or refused unparsed
            assertTrue(
                    r.statusCode() == 422
                            || (r.statusCode() == 429 && r.body().contains("max-large-bodies")),
                    r.statusCode() + ": " + r.body());
        }
        System.out.println("24 bodies of 3.9 MB at once from one tenant: " + statuses);
    }

    // H1: rank_fields repeating one name renders a document of hundreds of MB
    @Test
    void rankFieldsRepeatingOneNameAreRefused() throws Exception {
        String json = AbuseBodies.repeatedRankFields(500_000);
        for (String path : List.of("/v1/rerank/jobs", "/v1/rerank", "/rerank")) {
            HttpResponse<String> r = post(path, ABUSER, "application/json", json);
            assertEquals(422, r.statusCode(), path + ": " + r.body());
            assertTrue(r.body().contains("rank_fields"), r.body());
        }
    }

    // H1 (CPU): many distinct names over many documents
    @Test
    void rankFieldsTimesDocumentsIsBoundedBeforeRendering() throws Exception {
        HttpResponse<String> r =
                post(
                        "/v1/rerank/jobs",
                        ABUSER,
                        "application/json",
                        AbuseBodies.rankFieldsOverDocuments(20_000, 100_000));
        assertEquals(422, r.statusCode(), r.body());
    }

    // H5: chunking multiplies model work past every quota
    @Test
    void overlappingChunksOfAHugeDocumentAreRefusedAtTheDoor() throws Exception {
        String body = AbuseBodies.amplifyingChunks();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = post("/v1/rerank/jobs", ABUSER, "application/json", body);
            assertEquals(422, r.statusCode(), r.body());
            assertTrue(r.body().contains("max-job-tokens"), r.body());
        }
    }

    // H5: what a job is charged is what the quota counts, in tokens
    @Test
    void chunkedJobsAreChargedPerChunkAgainstTheTokenQuota() throws Exception {
        // 100 chunks of 256 tokens: charged 100 x (384 + 1 + 256) = 64,100 tokens, more than the
        // abuser's bucket of 40,000: the first passes on a full bucket, the next waits for it
        String body =
                "{\"query\":\"q\",\"documents\":[\""
                        + "word ".repeat(20_000)
                        + "\"],\"chunking\":{\"max_chunks\":100,\"tokens\":256,"
                        + "\"overlap_tokens\":255}}";
        HttpResponse<String> first = post("/v1/rerank/jobs", ABUSER, "application/json", body);
        assertEquals(202, first.statusCode(), first.body());
        HttpResponse<String> second = post("/v1/rerank/jobs", ABUSER, "application/json", body);
        assertEquals(429, second.statusCode(), second.body());
        assertTrue(second.body().contains("tokens-per-second"), second.body());
        String id = JobCodec.mapper().readTree(first.body()).get("id").asText();
        JsonNode usage = awaitSucceeded(id, ABUSER).get("usage");
        assertEquals(64_100, usage.get("charged_tokens").asLong(), usage.toString());
        assertTrue(usage.get("chunks").asLong() <= 100, usage.toString());
    }

    // H3: a page of jobs with results of megabytes each
    @Test
    void listingJobsWithLargeResultsLoadsNoResults() throws Exception {
        // 12 jobs whose results keep their documents: about 47 MB in Redis
        String body = jobKeepingLargeDocuments();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = post("/v1/rerank/jobs", BULK, "application/json", body);
            assertEquals(202, r.statusCode(), r.body());
            ids.add(JobCodec.mapper().readTree(r.body()).get("id").asText());
        }
        for (String id : ids) {
            awaitSucceeded(id, BULK);
        }
        HttpResponse<String> page = get("/v1/rerank/jobs?limit=100", BULK);
        assertEquals(200, page.statusCode(), page.body().substring(0, 200));
        assertTrue(
                page.body().length() < 64 * 1024, "a page of " + page.body().length() + " chars");
        assertEquals(12, JobCodec.mapper().readTree(page.body()).get("data").size());
        HttpResponse<String> withResults = get("/v1/rerank/jobs?limit=100&results=true", BULK);
        assertEquals(200, withResults.statusCode());
        JsonNode view = JobCodec.mapper().readTree(withResults.body());
        assertTrue(view.get("has_more").asBoolean(), "the page ends early at 8 MB of results");
        assertTrue(view.get("data").size() < 12, "items " + view.get("data").size());
    }

    static HttpResponse<String> get(String path, String key) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                        .header("Authorization", "Bearer " + key)
                        .timeout(Duration.ofSeconds(60))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    // H6: /score pairwise makes one job per distinct query
    @Test
    void pairwiseScoreWithThousandsOfDistinctQueriesIsRefused() throws Exception {
        HttpResponse<String> r =
                post("/score", ABUSER, "application/json", AbuseBodies.distinctScoreQueries(5000));
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(r.body().contains("max-score-queries"), r.body());
    }

    /**
     * For every option that changes the work (many documents, chunking, rank_fields, truncation,
     * /score pairwise), the tokens the model server saw are at most what the tenant was charged.
     */
    @Test
    void theModelServerNeverSeesMoreTokensThanWereCharged() throws Exception {
        // work other cases left queued would count against the sync call's deadline (its timeout
        // plus the retry window): on slow shared cores admission refused it as unmeetable
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> gateway.metric("rerank_backlog_jobs") == 0);
        String longDoc = "Beijing is the capital of China. ".repeat(400);
        List<String[]> cases =
                List.of(
                        new String[] {
                            "/v1/rerank/jobs",
                            "{\"query\":\"capital?\",\"documents\":["
                                    + IntStream.range(0, 300)
                                            .mapToObj(i -> "\"short document " + i + "\"")
                                            .collect(Collectors.joining(","))
                                    + "]}"
                        },
                        new String[] {
                            "/v1/rerank/jobs",
                            "{\"query\":\"capital?\",\"documents\":[\""
                                    + longDoc
                                    + "\"],\"chunking\":{\"max_chunks\":20,\"tokens\":64,"
                                    + "\"overlap_tokens\":32}}"
                        },
                        new String[] {
                            "/v1/rerank/jobs",
                            "{\"query\":\"capital?\",\"documents\":[\""
                                    + longDoc
                                    + "\"],\"chunking\":{\"max_chunks\":5}}"
                        },
                        new String[] {
                            "/v1/rerank/jobs",
                            "{\"query\":\"capital?\",\"documents\":[{\"title\":\"China\","
                                    + "\"body\":\""
                                    + longDoc
                                    + "\"}],\"rank_fields\":[\"title\",\"body\",\"title\"]}"
                        },
                        new String[] {
                            "/v1/rerank/jobs",
                            "{\"query\":\"capital?\",\"documents\":[\""
                                    + longDoc
                                    + "\"],\"truncate_prompt_tokens\":100}"
                        },
                        new String[] {
                            "/v1/rerank/jobs",
                            "{\"query\":\"capital?\",\"documents\":[\""
                                    + longDoc
                                    + "\"],\"max_tokens_per_doc\":50}"
                        },
                        new String[] {
                            "/score",
                            "{\"text_1\":[\"a\",\"b\",\"c\"],\"text_2\":[\"x\",\"y\",\""
                                    + longDoc
                                    + "\"]}"
                        });
        for (String[] c : cases) {
            long seenBefore = emulatorTokens();
            double chargedBefore = gateway.metric("rerank_jobs_charged_tokens_total");
            HttpResponse<String> r = post(c[0], NEIGHBOUR, "application/json", c[1]);
            if (c[0].equals("/score")) {
                assertEquals(200, r.statusCode(), r.body());
            } else {
                assertEquals(202, r.statusCode(), r.body());
                JsonNode usage =
                        awaitSucceeded(
                                        JobCodec.mapper().readTree(r.body()).get("id").asText(),
                                        NEIGHBOUR)
                                .get("usage");
                assertTrue(
                        usage.get("tokens").asLong() <= usage.get("charged_tokens").asLong(),
                        c[1].substring(0, 60) + ": " + usage);
            }
            long seen = emulatorTokens() - seenBefore;
            double charged = gateway.metric("rerank_jobs_charged_tokens_total") - chargedBefore;
            assertTrue(seen > 0, "the model server saw the job");
            System.out.printf(
                    "abuse tokens %s: the model server saw %d tokens, the tenant was charged %.0f%n",
                    c[1].substring(0, Math.min(40, c[1].length())), seen, charged);
            assertTrue(
                    seen <= charged,
                    c[1].substring(0, 60)
                            + ": the model saw "
                            + seen
                            + " tokens, charged "
                            + charged);
        }
    }

    static long emulatorTokens() {
        return emulator.stats().get("tokens").asLong();
    }

    /** The view of job {@code id} once it succeeded (within 2 minutes). */
    static JsonNode awaitSucceeded(String id, String key) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < end) {
            HttpResponse<String> r =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(gateway.baseUrl() + "/v1/rerank/jobs/" + id))
                                    .header("Authorization", "Bearer " + key)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            JsonNode view = JobCodec.mapper().readTree(r.body());
            String status = view.path("status").asText();
            if (status.equals("succeeded")) {
                return view;
            }
            assertTrue(
                    status.equals("queued") || status.equals("running"),
                    "job " + id + ": " + r.body());
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not succeed in 2 minutes");
    }

    static HttpResponse<String> post(String path, String key, String type, String body)
            throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                        .header("Authorization", "Bearer " + key)
                        .header("Content-Type", type)
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The answer's status; a server that answers and closes while the body is still being sent may
     * leave the client only a reset, which counts as refused early (0).
     */
    static int statusOrClosed(HttpRequest request) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertTrue(r.statusCode() < 500, "a 5xx: " + r.body());
            return r.statusCode();
        } catch (IOException e) {
            return 0;
        }
    }

    /** {@code size} bytes of 'a', made as they are read. */
    static final class Filler extends InputStream {
        private long left;

        Filler(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            if (left <= 0) {
                return -1;
            }
            left--;
            return 'a';
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            Arrays.fill(b, off, off + n, (byte) 'a');
            left -= n;
            return n;
        }
    }
}
