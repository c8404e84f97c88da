package dev.rerankqueue.worker.store;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * The writes of a batch are retried with backoff for a while ({@code
 * rerank.results.write-retry-budget}): the batch must not be acknowledged before they land, and a
 * short Redis or Kafka outage should not fail the jobs. Each writer applies it to its own writes:
 * {@link JobStateWriter} to Redis, the result log to its Kafka appends.
 */
public final class WriteRetries {

    private static final Logger LOG = Logger.getLogger(WriteRetries.class);

    private WriteRetries() {}

    public static <T> Uni<T> within(Duration budget, Uni<T> writes) {
        return writes.onFailure()
                .invoke(e -> LOG.warnf("writing job state failed, retrying: %s", e.toString()))
                .onFailure()
                .retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(5))
                .expireIn(budget.toMillis());
    }
}
