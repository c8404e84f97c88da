package dev.rerankqueue.worker.batch;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Redis writes of a batch are retried with backoff for a while: the batch must not be acknowledged
 * before they land, and a short Redis outage should not fail the jobs.
 */
final class WriteRetries {

    private static final Logger LOG = Logger.getLogger(WriteRetries.class);

    private WriteRetries() {}

    static <T> Uni<T> within(Duration budget, Uni<T> writes) {
        return writes.onFailure()
                .invoke(e -> LOG.warnf("writing job state failed, retrying: %s", e.toString()))
                .onFailure()
                .retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(5))
                .expireIn(budget.toMillis());
    }
}
