package dev.rerankqueue.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker's settings as SmallRye Config reads them, without starting the application. */
class WorkerConfigTest {

    static WorkerConfig read(Map<String, String> values) {
        return WorkerConfigs.read(values);
    }

    @Test
    void choicesAreWrittenAsTheDocsSpellThem() {
        WorkerConfig c =
                read(
                        Map.of(
                                "rerank.worker.scorer.type", "vllm",
                                "rerank.worker.scorer.vllm.api", "rerank",
                                "rerank.worker.scorer.onnx.pooling", "mean"));
        assertEquals(WorkerConfig.ScorerType.VLLM, c.scorer().type());
        assertEquals(WorkerConfig.VllmApi.RERANK, c.scorer().vllm().api());
        assertEquals(WorkerConfig.Pooling.MEAN, c.scorer().onnx().pooling());
        WorkerConfig defaults = read(Map.of());
        assertEquals(WorkerConfig.ScorerType.ONNX, defaults.scorer().type());
        assertEquals(WorkerConfig.VllmApi.SCORE, defaults.scorer().vllm().api());
        assertEquals(WorkerConfig.Pooling.CLS, defaults.scorer().onnx().pooling());
    }

    @Test
    void aMisspeltChoiceStopsTheWorkerAndSaysWhatIsValid() {
        Map<String, List<String>> choices =
                Map.of(
                        "rerank.worker.scorer.type", List.of("onnx", "vllm"),
                        "rerank.worker.scorer.vllm.api", List.of("score", "rerank"),
                        "rerank.worker.scorer.onnx.pooling", List.of("cls", "mean"));
        choices.forEach(
                (key, valid) -> {
                    Exception e =
                            assertThrows(
                                    RuntimeException.class,
                                    () -> read(Map.of(key, valid.get(0) + "x")),
                                    key + " takes only " + valid);
                    String message = String.valueOf(e.getMessage());
                    assertTrue(message.contains(key), message);
                    assertTrue(message.contains("allowed values"), message);
                    valid.forEach(v -> assertTrue(message.contains(v), v + " in: " + message));
                });
    }
}
