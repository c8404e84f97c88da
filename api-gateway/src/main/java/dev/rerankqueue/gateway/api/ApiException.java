package dev.rerankqueue.gateway.api;

import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * A failure with a known HTTP meaning; {@link ProblemMappers} turns it into a problem+json
 * response. Each factory is one stable problem {@code type}.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String slug;
    private final String title;
    private final String jobId;
    private final Duration retryAfter;
    private final transient List<Violation> errors;

    private ApiException(
            int status,
            String slug,
            String title,
            String detail,
            String jobId,
            Duration retryAfter,
            List<Violation> errors) {
        super(detail);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.jobId = jobId;
        this.retryAfter = retryAfter;
        this.errors = errors;
    }

    public static ApiException malformed(String detail) {
        return new ApiException(400, "malformed-json", "Malformed JSON", detail, null, null, null);
    }

    public static ApiException invalid(List<Violation> errors) {
        String detail =
                errors.size() == 1
                        ? errors.get(0).toString()
                        : errors.size()
                                + " problems: "
                                + String.join(
                                        "; ", errors.stream().map(Violation::toString).toList());
        return new ApiException(
                422, "invalid-request", "Invalid rerank request", detail, null, null, errors);
    }

    public static ApiException tooLarge(long size, long limit) {
        return new ApiException(
                413,
                "body-too-large",
                "Request body too large",
                "the body has "
                        + (size < 0 ? "more than " + limit : Long.toString(size))
                        + " bytes; the limit is "
                        + limit
                        + " (rerank.limits.max-body-size). Split the documents over several jobs.",
                null,
                null,
                null);
    }

    public static ApiException unauthorized(String detail) {
        return new ApiException(401, "unauthorized", "API key required", detail, null, null, null);
    }

    public static ApiException jobNotFound(String id) {
        return new ApiException(
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

    public static ApiException modelNotFound(String requested, Collection<String> served) {
        return new ApiException(
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

    public static ApiException modelNotReady(String requested, Duration retryAfter) {
        return new ApiException(
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

    public static ApiException batchNotFound(String id) {
        return new ApiException(
                404,
                "batch-not-found",
                "Batch not found",
                "no batch " + id + " (it never existed, belongs to another tenant, or has expired)",
                null,
                null,
                null);
    }

    public static ApiException idempotencyKeyReused(String jobId) {
        return new ApiException(
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

    public static ApiException idempotencyInProgress(String jobId) {
        return new ApiException(
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

    public static ApiException notCancellable(String jobId, String status) {
        return new ApiException(
                409,
                "job-already-finished",
                "Job already finished",
                "job "
                        + jobId
                        + " already "
                        + status
                        + "; only queued or running jobs can be cancelled",
                jobId,
                null,
                null);
    }

    public static ApiException kafkaUnavailable(Duration retryAfter) {
        return new ApiException(
                503,
                "queue-unavailable",
                "Queue unavailable",
                "the job queue did not acknowledge the job in time; it was NOT accepted. Retry later.",
                null,
                retryAfter,
                null);
    }

    public static ApiException backlogFull(
            long backlogJobs, double drainRate, Duration limit, Duration retryAfter) {
        String wait =
                drainRate > 0
                        ? String.format(
                                Locale.ROOT,
                                "the workers drain %.1f jobs/s, so about %d s of work",
                                drainRate,
                                (long) (backlogJobs / drainRate))
                        : "the workers are not draining them";
        return new ApiException(
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

    public static ApiException quotaExceeded(String quota, String detail, Duration retryAfter) {
        return new ApiException(
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

    public static ApiException storageFull(long used, long max, Duration retryAfter) {
        return new ApiException(
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

    /** Refused at once because the gateway or its store is saturated; {@code why} says which. */
    public static ApiException overloaded(String why, Duration retryAfter) {
        return new ApiException(
                503,
                "overloaded",
                "Gateway overloaded",
                why + "; the job was NOT accepted. Retry after the Retry-After seconds.",
                null,
                retryAfter,
                null);
    }

    /**
     * Redis failed; {@code cause} (which names Redis's address and the client's internals) is
     * logged here and never sent to the client.
     */
    public static ApiException storeUnavailable(String cause) {
        Logger.getLogger(ApiException.class).warnf("job store unavailable: %s", cause);
        return new ApiException(
                503,
                "store-unavailable",
                "Job store unavailable",
                "job state cannot be read or written right now; accepted jobs are safe in the queue. Retry shortly.",
                null,
                Duration.ofSeconds(2),
                null);
    }

    public static ApiException syncTimeout(String jobId, Duration waited) {
        return new ApiException(
                504,
                "sync-timeout",
                "Result not ready in time",
                "the job was accepted but did not finish within "
                        + waited.toSeconds()
                        + " s; poll /v1/rerank/jobs/"
                        + jobId
                        + " for its result",
                jobId,
                null,
                null);
    }

    public static ApiException jobEnded(String jobId, String status, String error) {
        return new ApiException(
                502,
                "job-" + status,
                "Job " + status,
                "the job ended " + status + (error == null ? "" : ": " + error),
                jobId,
                null,
                null);
    }

    /** The problem+json body of this failure; {@code instance} is the request path, or null. */
    public Problem problem(String instance) {
        return new Problem(
                "/problems/" + slug, title, status, getMessage(), instance, jobId, errors);
    }

    /**
     * {@code Retry-After} in whole seconds, rounded up and at least 1; null when the failure has
     * none.
     */
    public Long retryAfterSeconds() {
        return retryAfter == null ? null : Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }

    public int status() {
        return status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    public String jobId() {
        return jobId;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    public List<Violation> errors() {
        return errors;
    }
}
