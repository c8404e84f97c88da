package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * A job that was NOT accepted, and why: its model, its idempotency key, a quota, the backlog, the
 * store or the queue. Each refusal that can pass says when to retry. Each factory is one stable
 * problem {@code type}.
 */
public final class RefusedException extends ApiException {

    private RefusedException(
            int status,
            String slug,
            String title,
            String detail,
            String jobId,
            Duration retryAfter,
            List<Violation> errors) {
        super(status, slug, title, detail, jobId, retryAfter, errors);
    }

    public static RefusedException modelNotFound(String requested, Collection<String> served) {
        return new RefusedException(
                404,
                "model-not-found",
                "Model not found",
                "The model `"
                        + requested
                        + "` does not exist: the workers serve "
                        + String.join(", ", served)
                        + " (other names: rerank.models.aliases).",
                null,
                null,
                null);
    }

    public static RefusedException modelNotReady(String requested, Duration retryAfter) {
        return new RefusedException(
                503,
                "model-not-ready",
                "No model served yet",
                "no worker has announced the model it serves yet, so `"
                        + requested
                        + "` cannot be checked; the job was NOT "
                        + "accepted, retry after the Retry-After seconds (or send no model name).",
                null,
                retryAfter,
                null);
    }

    public static RefusedException idempotencyKeyReused(String jobId) {
        return new RefusedException(
                422,
                "idempotency-key-reused",
                "Idempotency-Key already used",
                "this Idempotency-Key was used for a different request (job "
                        + jobId
                        + "); use a new key for a new request",
                jobId,
                null,
                null);
    }

    public static RefusedException idempotencyInProgress(String jobId) {
        return new RefusedException(
                409,
                "idempotency-in-progress",
                "Request with this Idempotency-Key in progress",
                "the first request with this Idempotency-Key (job "
                        + jobId
                        + ") is still being accepted; retry shortly",
                jobId,
                Duration.ofSeconds(1),
                null);
    }

    public static RefusedException kafkaUnavailable(Duration retryAfter) {
        return new RefusedException(
                503,
                "queue-unavailable",
                "Queue unavailable",
                "the job queue did not acknowledge the job in time; it was NOT accepted. Retry later.",
                null,
                retryAfter,
                null);
    }

    public static RefusedException backlogFull(
            long backlogJobs, double drainRate, Duration limit, Duration retryAfter) {
        String wait =
                drainRate > 0
                        ? String.format(
                                Locale.ROOT,
                                "the workers drain %.1f jobs/s, so about %d s of work",
                                drainRate,
                                (long) (backlogJobs / drainRate))
                        : "the workers are not draining them";
        return new RefusedException(
                503,
                "backlog-full",
                "Queue backlog too long",
                backlogJobs
                        + " jobs are waiting and "
                        + wait
                        + "; jobs are accepted while the wait is under "
                        + limit.toSeconds()
                        + " s. The job was NOT accepted; retry after the Retry-After seconds.",
                null,
                retryAfter,
                null);
    }

    public static RefusedException quotaExceeded(String quota, String detail, Duration retryAfter) {
        return new RefusedException(
                429,
                "quota-exceeded",
                "Tenant quota exceeded",
                detail
                        + " ("
                        + quota
                        + "). The job was NOT accepted; retry after the Retry-After seconds.",
                null,
                retryAfter,
                null);
    }

    public static RefusedException storageFull(long used, long max, Duration retryAfter) {
        return new RefusedException(
                503,
                "storage-full",
                "Job store full",
                "the job store holds "
                        + (used >> 20)
                        + " of its "
                        + (max >> 20)
                        + " MiB; new jobs are refused until finished jobs "
                        + "expire. The job was NOT accepted; retry after the Retry-After seconds.",
                null,
                retryAfter,
                null);
    }

    public static RefusedException overloaded(String why, Duration retryAfter) {
        return new RefusedException(
                503,
                "overloaded",
                "Gateway overloaded",
                why + "; the job was NOT accepted. Retry after the Retry-After seconds.",
                null,
                retryAfter,
                null);
    }
}
