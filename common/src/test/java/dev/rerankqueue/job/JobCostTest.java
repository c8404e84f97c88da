package dev.rerankqueue.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JobCostTest {

    private static RerankRequest request(String query, List<String> docs) {
        return RerankRequest.of(query, docs.stream().map(Document::of).toList());
    }

    @Test
    void aPairIsChargedItsBytesAndThePromptTemplate() {
        JobCost cost = JobCost.of(request("q", List.of("abc", "dé")));
        assertEquals(2, cost.pairs());
        assertEquals(2L * (JobCost.PROMPT_TOKENS + 1) + 3 + 3, cost.tokens());
    }

    @Test
    void utf8LengthCountsBytesWithoutEncoding() {
        assertEquals(0, JobCost.utf8Length(null));
        assertEquals(1, JobCost.utf8Length("a"));
        assertEquals(2, JobCost.utf8Length("é"));
        assertEquals(3, JobCost.utf8Length("中"));
        assertEquals(4, JobCost.utf8Length("😀"));
    }

    @Test
    void chunksAreChargedOnePairEachAsTheChunkSizeAndOverlapMakeThem() {
        String doc = "x".repeat(1000);
        RerankRequest r = request("q", List.of(doc)).withChunking(new Chunking(100, 256, 255));
        JobCost cost = JobCost.of(r);
        // 1000 bytes in chunks of 256 moving by 1: 745 chunks, at most 100
        assertEquals(100, cost.pairs());
        assertEquals(100L * (JobCost.PROMPT_TOKENS + 1 + 256), cost.tokens());

        RerankRequest apart = request("q", List.of(doc)).withChunking(new Chunking(100, 256, 0));
        assertEquals(4, JobCost.of(apart).pairs(), "1000 bytes in chunks of 256");
    }

    @Test
    void chunksOfTheModelsSizeAreChargedAtTheirMostSinceTheContextIsNotKnownHere() {
        RerankRequest r =
                request("q", List.of("word ".repeat(26_000))).withChunking(Chunking.upTo(10_000));
        JobCost cost = JobCost.of(r);
        assertEquals(10_000, cost.pairs());
        assertTrue(cost.tokens() > 1_000_000_000L, "charged " + cost.tokens());
    }

    @Test
    void theRequestsOwnCutsLowerTheCharge() {
        String doc = "x".repeat(10_000);
        long whole = JobCost.of(request("q", List.of(doc))).tokens();
        RerankRequest perDoc =
                RerankRequest.of("q", List.of(Document.of(doc))).withMaxTokensPerDoc(50);
        assertEquals(JobCost.PROMPT_TOKENS + 1 + 50, JobCost.of(perDoc).tokens());
        RerankRequest prompt = request("q", List.of(doc)).withModelOptions(100, null, null);
        assertEquals(100, JobCost.of(prompt).tokens());
        assertTrue(whole > 10_000);
    }

    @Test
    void aJobOverTheTokenLimitIsRefusedNamingTheLimit() {
        RequestValidator validator =
                new RequestValidator(
                        new RequestLimits(
                                10_000, 16_384, 131_072, 86_400_000L, 16, 512, 1_000_000));
        RerankRequest r =
                request("q", List.of("word ".repeat(26_000))).withChunking(Chunking.upTo(10_000));
        List<Violation> v = validator.violations(r);
        assertEquals(1, v.size(), v.toString());
        assertEquals("chunking", v.get(0).field());
        assertTrue(v.get(0).message().contains("rerank.limits.max-job-tokens"), v.toString());
        assertTrue(validator.violations(request("q", List.of("fine"))).isEmpty());
    }

    @Test
    void aJobRecordWithoutACostIsChargedFromItsRequest() {
        RerankJob job = new RerankJob(1, "id", "t", 0, request("q", List.of("abc")));
        assertEquals(JobCost.of(job.request()), job.cost());
        assertEquals(1, job.pairCount());
    }
}
