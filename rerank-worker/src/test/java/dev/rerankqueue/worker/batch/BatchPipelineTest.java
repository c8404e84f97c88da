package dev.rerankqueue.worker.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

class BatchPipelineTest {

    /** Batches admitted one after another, as the connector delivers them: each work held open. */
    private static int startedOf(BatchPipeline pipeline, long bytesEach, int batches) {
        AtomicInteger started = new AtomicInteger();
        List<UniEmitter<? super Void>> running = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            boolean[] admitted = {false};
            pipeline.admit(
                            Message.of("batch " + i),
                            bytesEach,
                            () -> {
                                started.incrementAndGet();
                                return Uni.createFrom().emitter(running::add);
                            })
                    .subscribe()
                    .with(v -> admitted[0] = true);
            if (!admitted[0]) {
                break; // the connector waits for this one before delivering the next
            }
        }
        return started.get();
    }

    @Test
    void smallBatchesLookAheadUpToFourTimesTheDepth() {
        assertEquals(8, startedOf(new BatchPipeline(2, 1_000), 10, 20));
    }

    @Test
    void largeBatchesStopAtTheDepthOnceTheBytesAreSpent() {
        // 2 always; a third would take the running bytes past the look-ahead
        assertEquals(2, startedOf(new BatchPipeline(2, 1_000), 600, 20));
        assertEquals(3, startedOf(new BatchPipeline(2, 1_000), 300, 20));
    }

    @Test
    void aFinishedBatchHandsItsPlaceToTheWaitingOne() {
        BatchPipeline pipeline = new BatchPipeline(1, 0);
        List<UniEmitter<? super Void>> running = new ArrayList<>();
        AtomicInteger started = new AtomicInteger();
        for (int i = 0; i < 2; i++) {
            pipeline.admit(
                            Message.of("batch " + i),
                            10,
                            () -> {
                                started.incrementAndGet();
                                return Uni.createFrom().emitter(running::add);
                            })
                    .subscribe()
                    .with(v -> {});
        }
        assertEquals(1, started.get());
        running.get(0).complete(null);
        assertEquals(2, started.get());
    }
}
