package dev.rerankqueue.bench.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class GpuEngineTest {

    /**
     * 30 queued batch requests of 4 sequences (one forward pass each), then one interactive
     * request.
     */
    private static long batchDoneWhenInteractiveDone(int interactivePriority) {
        try (GpuEngine gpu = new GpuEngine(CostModel.H100_QWEN3_RERANKER_0_6B, 4, 100_000, 1.0)) {
            List<CompletableFuture<Void>> batch = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                batch.add(gpu.submit(new int[] {256, 256, 256, 256}, 1));
            }
            gpu.submit(new int[] {256}, interactivePriority).join();
            return batch.stream().filter(CompletableFuture::isDone).count();
        }
    }

    @Test
    void aLowerPriorityValueJoinsTheNextForwardPassAheadOfQueuedWork() {
        long ahead = batchDoneWhenInteractiveDone(0);
        assertTrue(
                ahead <= 2,
                "only the pass running when it arrived (and the one it shares) went first: "
                        + ahead);
    }

    @Test
    void theSamePriorityWaitsItsTurnInArrivalOrder() {
        assertEquals(30, batchDoneWhenInteractiveDone(1), "first come, first served");
    }
}
