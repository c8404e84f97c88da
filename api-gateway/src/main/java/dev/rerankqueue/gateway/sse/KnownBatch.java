package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.store.BatchStore;
import jakarta.enterprise.context.RequestScoped;

/**
 * The batch {@link KnownJobFilter} read for this request's batch stream, so that the stream can
 * weigh itself by its jobs before it opens without a second read.
 */
@RequestScoped
public class KnownBatch {

    private BatchStore.Batch batch;

    void set(BatchStore.Batch batch) {
        this.batch = batch;
    }

    /** The jobs the stream follows: the batch's, or 1 where no batch was read. */
    public int jobs() {
        return batch == null ? 1 : Math.max(1, batch.jobIds().size());
    }
}
