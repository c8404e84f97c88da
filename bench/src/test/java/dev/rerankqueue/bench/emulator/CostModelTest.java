package dev.rerankqueue.bench.emulator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.messaging.JobCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cost model reproduces every measured shape of the H100 calibration within 10 %. */
class CostModelTest {

    static List<JsonNode> rows(String file) throws Exception {
        Path dir = Path.of(System.getProperty("calibration.dir", "calibration"));
        return Files.readAllLines(dir.resolve(file)).stream()
                .filter(l -> l.contains("\"batch\""))
                .map(
                        l -> {
                            try {
                                return JobCodec.mapper().readTree(l);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        })
                .toList();
    }

    @Test
    void reproducesTheCompiledH100TableWithinTenPercent() throws Exception {
        List<JsonNode> rows = rows("h100-qwen3-reranker-0.6b-compiled.jsonl");
        assertTrue(rows.size() >= 16, "calibration rows: " + rows.size());
        double worst = 0;
        for (JsonNode r : rows) {
            int batch = r.get("batch").asInt();
            int len = r.get("seqlen").asInt();
            double measured = r.get("ms_per_batch").asDouble();
            double modelled = CostModel.H100_QWEN3_RERANKER_0_6B.millis(batch, len);
            double error = Math.abs(modelled - measured) / measured;
            worst = Math.max(worst, error);
            assertTrue(
                    error <= 0.10,
                    String.format(
                            "batch %d x %d tokens: measured %.3f ms, model %.3f ms (%.1f %%)",
                            batch, len, measured, modelled, 100 * error));
        }
        System.out.printf(
                "cost model: worst error %.1f %% over %d calibration rows%n",
                100 * worst, rows.size());
    }

    @Test
    void peakThroughputMatchesTheCalibrationSummary() {
        // the calibration README: about 1,600-1,660 pairs/s at 256 tokens, 340 at 1,024
        double pairsPerSecond256 = 64 / (CostModel.H100_QWEN3_RERANKER_0_6B.millis(64, 256) / 1000);
        double pairsPerSecond1024 =
                64 / (CostModel.H100_QWEN3_RERANKER_0_6B.millis(64, 1024) / 1000);
        assertTrue(
                pairsPerSecond256 > 1500 && pairsPerSecond256 < 1800,
                "256 tokens: " + pairsPerSecond256);
        assertTrue(
                pairsPerSecond1024 > 300 && pairsPerSecond1024 < 380,
                "1024 tokens: " + pairsPerSecond1024);
    }
}
