package dev.rerankqueue.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestValidatorTest {

    private final RequestValidator validator =
            new RequestValidator(new RequestLimits(3, 20, 50, 60_000));

    static RerankRequest request(String query, List<Document> docs, Integer topN) {
        return RerankRequest.of(query, docs).withTopN(topN);
    }

    static List<Document> docs(String... texts) {
        List<Document> out = new ArrayList<>();
        for (String t : texts) {
            out.add(Document.of(t));
        }
        return out;
    }

    @Test
    void acceptsAValidRequest() {
        RerankRequest r = request("capital of China", docs("Beijing", "Paris"), 1);
        assertTrue(validator.violations(r).isEmpty());
        assertEquals(r, validator.check(r));
    }

    @Test
    void rejectsMissingAndEmptyQuery() {
        assertEquals(
                List.of(new Violation("query", "is required")),
                validator.violations(request(null, docs("a"), null)));
        assertEquals(
                List.of(new Violation("query", "must not be empty")),
                validator.violations(request("  ", docs("a"), null)));
    }

    @Test
    void rejectsMissingEmptyAndTooManyDocuments() {
        assertEquals("documents", validator.violations(request("q", null, null)).get(0).field());
        assertEquals(
                "must hold at least one document",
                validator.violations(request("q", List.of(), null)).get(0).message());
        Violation tooMany =
                validator.violations(request("q", docs("a", "b", "c", "d"), null)).get(0);
        assertTrue(
                tooMany.message().startsWith("has 4 documents; the limit is 3"), tooMany.message());
    }

    @Test
    void rejectsNullDocumentsByIndex() {
        List<Document> d = new ArrayList<>(docs("a"));
        d.add(null);
        assertEquals("documents[1]", validator.violations(request("q", d, null)).get(0).field());
    }

    @Test
    void rejectsOverlongQueryAndDocumentInsteadOfTruncating() {
        assertEquals(
                "query",
                validator.violations(request("x".repeat(21), docs("a"), null)).get(0).field());
        Violation doc = validator.violations(request("q", docs("a", "y".repeat(51)), null)).get(0);
        assertEquals("documents[1]", doc.field());
        assertTrue(doc.message().contains("limit is 50"));
    }

    @Test
    void topNMustNotBeNegativeAndZeroMeansAll() {
        assertEquals("top_n", validator.violations(request("q", docs("a"), -1)).get(0).field());
        assertEquals(2, request("q", docs("a", "b"), 0).resultCount());
        assertEquals(2, request("q", docs("a", "b"), null).resultCount());
        assertEquals(2, request("q", docs("a", "b"), 9).resultCount());
        assertEquals(1, request("q", docs("a", "b"), 1).resultCount());
    }

    @Test
    void reportsEveryViolationAtOnce() {
        InvalidRequestException e =
                assertThrows(
                        InvalidRequestException.class,
                        () -> validator.check(request("", Collections.emptyList(), -2)));
        assertEquals(3, e.violations().size());
        assertTrue(e.getMessage().contains("query: must not be empty"));
    }

    @Test
    void deadlineMustBeWithinBounds() {
        RerankRequest r = RerankRequest.of("q", docs("a")).withDeadlineMs(0L);
        assertEquals("deadline_ms", validator.violations(r).get(0).field());
    }
}
