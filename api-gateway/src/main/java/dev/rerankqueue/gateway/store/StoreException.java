package dev.rerankqueue.gateway.store;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * A job or batch that is not in the store for this tenant, or a store that cannot be reached. Each
 * factory is one stable problem {@code type}.
 */
public final class StoreException extends ApiException {

    private StoreException(
            int status,
            String slug,
            String title,
            String detail,
            String jobId,
            Duration retryAfter,
            List<Violation> errors) {
        super(status, slug, title, detail, jobId, retryAfter, errors);
    }

    public static StoreException jobNotFound(String id) {
        return new StoreException(
                404,
                "job-not-found",
                "Job not found",
                "no job "
                        + id
                        + " (it never existed, belongs to another tenant, or its result has expired)",
                id,
                null,
                null);
    }

    public static StoreException batchNotFound(String id) {
        return new StoreException(
                404,
                "batch-not-found",
                "Batch not found",
                "no batch " + id + " (it never existed, belongs to another tenant, or has expired)",
                null,
                null,
                null);
    }

    public static StoreException unavailable(String cause) {
        Logger.getLogger(StoreException.class).warnf("job store unavailable: %s", cause);
        return new StoreException(
                503,
                "store-unavailable",
                "Job store unavailable",
                "job state cannot be read or written right now; accepted jobs are safe in the queue. Retry shortly.",
                null,
                Duration.ofSeconds(2),
                null);
    }
}
