package dev.rerankqueue.worker.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.worker.config.WorkerConfig;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded model, loaded from the jar on the class path as in production. */
class OnnxScorerTest {

    static OnnxScorer scorer;

    /** The worker's own defaults, read through its config mapping. */
    static WorkerConfig.Onnx defaults() {
        return OnnxScorerBenchmark.config();
    }

    @BeforeAll
    static void load() {
        scorer = new OnnxScorer(defaults());
    }

    @AfterAll
    static void close() {
        scorer.close();
    }

    private static List<ScorePair> pairs(String query, String... docs) {
        return Arrays.stream(docs).map(d -> new ScorePair(null, query, d)).toList();
    }

    @Test
    void theCpuBenchmarkReadsTheWorkersDefaultsAndSystemPropertiesOverThem() {
        assertEquals(512, defaults().maxLength());
        assertEquals(WorkerConfig.Pooling.CLS, defaults().pooling());
        assertTrue(defaults().modelPath().isEmpty());
        System.setProperty("rerank.worker.scorer.onnx.threads", "1");
        try {
            assertEquals(1, OnnxScorerBenchmark.config().threads());
        } finally {
            System.clearProperty("rerank.worker.scorer.onnx.threads");
        }
        assertEquals(0, OnnxScorerBenchmark.config().threads());
    }

    @Test
    void ranksTheRelevantDocumentFirst() {
        Scores s =
                scorer.scoreNow(
                        pairs(
                                "What is the capital of China?",
                                "Gravity pulls objects together.",
                                "The capital of China is Beijing.",
                                "Pandas eat bamboo."));
        assertTrue(s.values()[1] > s.values()[0] + 0.1, Arrays.toString(s.values()));
        assertTrue(s.values()[1] > s.values()[2] + 0.1, Arrays.toString(s.values()));
        for (int t : s.tokens()) {
            assertTrue(t > 5, "tokens counted per pair");
        }
    }

    /**
     * The bundled model is dynamically quantized: activations are quantized with a scale taken over
     * the whole padded batch, so a score moves slightly with its batch companions (about 0.006
     * here), never enough to matter.
     */
    @Test
    void scoresBarelyDependOnBatchCompanions() {
        double alone =
                scorer.scoreNow(pairs("capital of France", "Paris is the capital of France."))
                        .values()[0];
        double together =
                scorer.scoreNow(
                                pairs(
                                        "capital of France",
                                        "Bananas are yellow and rich in potassium, a long text.",
                                        "Paris is the capital of France."))
                        .values()[1];
        assertEquals(alone, together, 0.02, "batch companions must not move a score noticeably");
    }

    @Test
    void equalPairsGetEqualScores() {
        Scores s = scorer.scoreNow(pairs("q", "same text", "same text"));
        assertArrayEquals(new double[] {s.values()[0]}, new double[] {s.values()[1]}, 0.0);
    }

    @Test
    void scoresTextWithUnicodeEdgeCases() {
        Scores s =
                scorer.scoreNow(
                        pairs(
                                "q\ud800",
                                "lone \udfff surrogate",
                                "nul \u0000 char",
                                "emoji \ud83d\ude00",
                                "rtl \u202e text",
                                "",
                                "\uffff"));
        for (double v : s.values()) {
            assertTrue(Double.isFinite(v), Arrays.toString(s.values()));
        }
    }

    @Test
    void aDocumentOverTheModelsTokenLimitIsReportedTruncated() {
        Scores s =
                scorer.scoreNow(
                        pairs(
                                "capital of France",
                                "Paris is the capital of France.",
                                "Paris is the capital of France. ".repeat(200)));
        assertFalse(s.truncated()[0]);
        assertTrue(s.truncated()[1], "a document of about 1,400 tokens is cut at 512");
        assertTrue(s.tokens()[1] <= 512 + 16, "the model read at most its limit: " + s.tokens()[1]);
    }

    @Test
    void reportsItsModelAndReadiness() {
        assertEquals("bge-small-en-v1.5", scorer.model());
        assertTrue(scorer.isReady());
    }
}
