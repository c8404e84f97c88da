package dev.rerankqueue.gateway.store;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.ApiException.Facts;
import dev.rerankqueue.gateway.problem.ApiException.Kind;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * A job or batch that is not in the store for this tenant, or a store that cannot be reached. Each
 * factory is one stable problem {@code type}.
 */
public final class StoreException extends ApiException {

    private StoreException(Kind kind, String detail, Facts facts) {
        super(kind, detail, facts);
    }

    public static StoreException jobNotFound(String id) {
        return new StoreException(
                new Kind(404, "job-not-found", "Job not found"),
                "no job "
                        + id
                        + " (it never existed, belongs to another tenant, or its result has expired)",
                Facts.aboutJob(id));
    }

    public static StoreException batchNotFound(String id) {
        return new StoreException(
                new Kind(404, "batch-not-found", "Batch not found"),
                "no batch " + id + " (it never existed, belongs to another tenant, or has expired)",
                Facts.NONE);
    }

    public static StoreException unavailable(String cause) {
        Logger.getLogger(StoreException.class).warnf("job store unavailable: %s", cause);
        return new StoreException(
                new Kind(503, "store-unavailable", "Job store unavailable"),
                "job state cannot be read or written right now; accepted jobs are safe in the queue. Retry shortly.",
                Facts.retryAfter(Duration.ofSeconds(2)));
    }
}
