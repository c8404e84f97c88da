package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A gateway at its in-flight limit answers a submission before reading its body: under a flood the
 * refusals stay cheap, so the event loops keep time for the submissions they took. Real HTTP on a
 * raw socket (a body that never comes), real Kafka and Redis; Redis is paused to hold a submission
 * in flight.
 */
@QuarkusTest
@TestProfile(OverloadDoorTest.OneAtATime.class)
@WithTestResource(InfrastructureResource.class)
class OverloadDoorTest {

    public static class OneAtATime implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "rerank.admission.max-in-flight-submissions", "1",
                    "rerank.admission.accept-latency-target", "0s",
                    "rerank.admission.enabled", "false");
        }
    }

    private static final String JOB =
            """
            {"query":"capital of France","documents":["Paris is the capital of France.","Bread."]}""";

    @TestHTTPResource("/")
    URL base;

    @Inject RedisDataSource redis;

    @Test
    void atTheLimitASubmissionIsRefusedBeforeItsBodyIsRead() throws Exception {
        // Redis holds writes for 1.5 s: the first submission waits in its quota check, holding the
        // one place
        redis.execute("CLIENT", "PAUSE", "1500", "WRITE");
        CompletableFuture<HttpResponse<String>> first =
                HttpClient.newHttpClient()
                        .sendAsync(
                                HttpRequest.newBuilder(base.toURI().resolve("/v1/rerank/jobs"))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString(JOB))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(2))
                .until(() -> metric("rerank_admission_submissions_in_flight") >= 1);

        // headers promising a body that never comes: only an answer before the body can arrive
        for (String path : new String[] {"/v1/rerank/jobs", "/v1/rerank", "/score"}) {
            String answer = headersOnly(path);
            assertTrue(answer.startsWith("HTTP/1.1 503"), path + ": " + answer);
            assertTrue(answer.toLowerCase(Locale.ROOT).contains("retry-after: 1"), answer);
            assertTrue(answer.contains("overloaded"), answer);
            assertTrue(
                    answer.contains("rerank.admission.max-in-flight-submissions"),
                    "the answer names the limit: " + answer);
        }
        // our own API answers problem+json, a drop-in route the body its clients read
        assertTrue(headersOnly("/v1/rerank/jobs").contains("application/problem+json"));
        assertTrue(headersOnly("/v1/rerank").contains("\"message\""));

        // reads are not submissions: they pass the door
        given().get("/v1/models").then().statusCode(200);

        // the submission that held the place is accepted once Redis is back, and the door opens
        HttpResponse<String> held = first.get();
        assertEquals(202, held.statusCode(), held.body());
        given().contentType(ContentType.JSON)
                .body(JOB)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202)
                .body("id", containsString("-"));
    }

    /** Sends the headers of a 200-byte JSON POST and no body; the answer, or fails after 2 s. */
    private String headersOnly(String path) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(2_000);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST "
                                    + path
                                    + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: 200\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < until) {
                int n = in.read(buf); // SocketTimeoutException: no answer without the body
                if (n < 0) {
                    break;
                }
                answer.write(buf, 0, n);
                String s = answer.toString(StandardCharsets.UTF_8);
                int headEnd = s.indexOf("\r\n\r\n");
                if (headEnd >= 0 && s.length() > headEnd + 4 && s.endsWith("}")) {
                    break;
                }
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    private double metric(String name) {
        String all =
                HttpClient.newHttpClient()
                        .sendAsync(
                                HttpRequest.newBuilder(URI.create(base + "q/metrics")).build(),
                                HttpResponse.BodyHandlers.ofString())
                        .join()
                        .body();
        return all.lines()
                .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
