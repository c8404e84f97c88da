package dev.rerankqueue.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.store.JobFields;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobCodecTest {

    private static RerankRequest parse(String json) {
        return JobCodec.toRequest(JobCodec.readTree(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsDocumentsAsStringsOrObjects() {
        RerankRequest r =
                parse(
                        """
                {"query":"q","documents":["plain",{"text":"object","id":"d-2"},{"text":"numeric id","id":7}],
                 "top_n":2,"return_documents":true,"priority":"batch","deadline_ms":5000,"unknown_field":{"x":1}}""");
        assertEquals(
                List.of(
                        Document.of("plain"),
                        new Document("object", "d-2"),
                        new Document("numeric id", "7")),
                r.documents());
        assertEquals(2, r.topN());
        assertTrue(r.wantsDocuments());
        assertEquals(Priority.BATCH, r.priority());
        assertEquals(5000L, r.deadlineMs());
    }

    @Test
    void malformedJsonSaysWhere() {
        MalformedJsonException e =
                assertThrows(MalformedJsonException.class, () -> parse("{\"query\":"));
        assertTrue(e.getMessage().startsWith("malformed JSON"), e.getMessage());
        assertThrows(MalformedJsonException.class, () -> JobCodec.readTree(new byte[0]));
    }

    @Test
    void wrongTypesNameTheFieldAndAreNotCoerced() {
        InvalidRequestException q =
                assertThrows(
                        InvalidRequestException.class,
                        () -> parse("{\"query\":5,\"documents\":[\"a\"]}"));
        assertEquals("query", q.violations().get(0).field());
        InvalidRequestException topN =
                assertThrows(
                        InvalidRequestException.class,
                        () -> parse("{\"query\":\"q\",\"documents\":[\"a\"],\"top_n\":\"2\"}"));
        assertEquals("top_n", topN.violations().get(0).field());
        assertEquals("expected an integer", topN.violations().get(0).message());
        InvalidRequestException doc =
                assertThrows(
                        InvalidRequestException.class,
                        () -> parse("{\"query\":\"q\",\"documents\":[\"a\",{\"txt\":\"b\"}]}"));
        assertEquals("documents[1]", doc.violations().get(0).field());
        InvalidRequestException docs =
                assertThrows(
                        InvalidRequestException.class,
                        () -> parse("{\"query\":\"q\",\"documents\":\"a\"}"));
        assertEquals("documents", docs.violations().get(0).field());
    }

    @Test
    void rejectsABodyThatIsNotAnObject() {
        InvalidRequestException e =
                assertThrows(InvalidRequestException.class, () -> parse("[1,2]"));
        assertEquals(
                "the body must be a JSON object, got an array", e.violations().get(0).message());
    }

    @Test
    void unknownPriorityIsAViolationNotACrash() {
        InvalidRequestException e =
                assertThrows(
                        InvalidRequestException.class,
                        () ->
                                parse(
                                        "{\"query\":\"q\",\"documents\":[\"a\"],\"priority\":\"urgent\"}"));
        assertEquals("priority", e.violations().get(0).field());
        assertTrue(
                e.violations().get(0).message().contains("interactive"),
                e.violations().get(0).message());
    }

    @Test
    void vllmsIntegerPriorityMapsToALane() {
        assertEquals(
                Priority.INTERACTIVE,
                parse("{\"query\":\"q\",\"documents\":[\"a\"],\"priority\":0}").priority());
        assertEquals(
                Priority.INTERACTIVE,
                parse("{\"query\":\"q\",\"documents\":[\"a\"],\"priority\":-5}").priority());
        assertEquals(
                Priority.BATCH,
                parse("{\"query\":\"q\",\"documents\":[\"a\"],\"priority\":3}").priority());
        assertThrows(
                InvalidRequestException.class,
                () -> parse("{\"query\":\"q\",\"documents\":[\"a\"],\"priority\":1.5}"));
    }

    @Test
    void jobEnvelopeRoundTrips() {
        RerankRequest req =
                RerankRequest.of("q", List.of(Document.of("a"), new Document("b", "x")))
                        .withModel("m")
                        .withTopN(1)
                        .withReturnDocuments(true)
                        .withInstruction("inst")
                        .withPriority(Priority.INTERACTIVE)
                        .withDeadlineMs(1000L);
        RerankJob job = RerankJob.accept("acme", req, 1_700_000_000_000L);
        RerankJob back = JobCodec.decodeJob(JobCodec.encodeJob(job));
        assertEquals(job, back);
        assertEquals(1_700_000_001_000L, back.deadline());
    }

    @Test
    void poisonRecordsAreRecognised() {
        assertThrows(
                MalformedJsonException.class,
                () -> JobCodec.decodeJob(new byte[] {(byte) 0xff, 0x00, 0x13}));
        assertThrows(
                InvalidRequestException.class,
                () -> JobCodec.decodeJob("{\"hello\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(
                InvalidRequestException.class,
                () ->
                        JobCodec.decodeJob(
                                "{\"schema\":99,\"id\":\"x\",\"request\":{}}"
                                        .getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void terminalStateRoundTripsAsAResultsRecord() {
        JobResult result =
                new JobResult(
                        "m",
                        List.of(new RankedDocument(0, 0.5, null)),
                        new JobResult.Usage(1, 3),
                        2);
        JobState state =
                new JobState(
                        "id-1",
                        JobStatus.SUCCEEDED,
                        3,
                        "acme",
                        "m",
                        10,
                        20,
                        30,
                        1,
                        1,
                        null,
                        "w1",
                        null,
                        result,
                        Map.of("run", "nightly"),
                        null,
                        null,
                        null,
                        null);
        String json = new String(JobCodec.encodeState(state), StandardCharsets.UTF_8);
        assertTrue(
                json.contains("\"status\":\"succeeded\"") && json.contains("\"finished_at\":30"),
                json);
        assertTrue(
                !json.contains("scored_pairs"),
                "progress is not part of a terminal state: " + json);
        // results written before progress existed have no scored_pairs; they still read back
        assertEquals(
                state,
                JobCodec.decodeState(
                        json.replace(",\"scored_pairs\":null", "")
                                .getBytes(StandardCharsets.UTF_8)));
        assertEquals(state, JobCodec.decodeState(JobCodec.encodeState(state)));
        assertEquals(state, JobFields.toState("id-1", storedHash(state)));
        // a worker copies the result in as the JSON it stored, without encoding it again
        Map<String, String> hash = storedHash(state);
        hash.remove(JobFields.RESULT);
        JobState withoutResult = JobFields.toState("id-1", hash);
        assertEquals(
                state,
                JobCodec.decodeState(
                        JobCodec.encodeState(withoutResult, JobCodec.encodeResult(result))));
        assertEquals(
                withoutResult, JobCodec.decodeState(JobCodec.encodeState(withoutResult, null)));
        assertThrows(
                IllegalArgumentException.class,
                () -> JobCodec.encodeState(state, JobCodec.encodeResult(result)),
                "a result is never written twice into one record");
    }

    /** The hash Redis holds for a succeeded {@code state} at version 3. */
    private static Map<String, String> storedHash(JobState state) {
        Map<String, String> hash = new HashMap<>(JobFields.restoring(state));
        hash.put("status", "succeeded");
        hash.put("version", "3");
        return hash;
    }

    @Test
    void resultUsesSnakeCaseAndOmitsAbsentDocuments() {
        JobResult result =
                new JobResult(
                        "m",
                        List.of(
                                new RankedDocument(1, 0.9, null),
                                new RankedDocument(
                                        0, 0.1, new RankedDocument.DocumentText("t", null))),
                        new JobResult.Usage(2, 10),
                        5);
        String json = JobCodec.encodeResult(result);
        assertTrue(json.contains("\"relevance_score\":0.9"), json);
        assertFalse(json.contains("\"document\":null"), json);
        assertTrue(json.contains("\"scoring_ms\":5"), json);
        assertEquals(result, JobCodec.decodeResult(json));
        assertNull(JobCodec.decodeResult(json).results().get(0).document());
    }
}
