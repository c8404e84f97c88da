package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.ApiException.Facts;
import dev.rerankqueue.gateway.problem.ApiException.Kind;
import dev.rerankqueue.job.Priority;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;

/**
 * A job that was NOT accepted, and why: its model, its idempotency key, a quota, the backlog, the
 * store or the queue. Each refusal that can pass says when to retry. Each factory is one stable
 * problem {@code type}.
 */
public final class RefusedException extends ApiException {

    private RefusedException(Kind kind, String detail, Facts facts) {
        super(kind, detail, facts);
    }

    public static RefusedException modelNotFound(String requested, Collection<String> served) {
        return new RefusedException(
                new Kind(404, "model-not-found", "Model not found"),
                "The model `"
                        + requested
                        + "` does not exist: the workers serve "
                        + String.join(", ", served)
                        + " (other names: rerank.models.aliases).",
                Facts.NONE);
    }

    public static RefusedException modelNotReady(String requested, Duration retryAfter) {
        return new RefusedException(
                new Kind(503, "model-not-ready", "No model served yet"),
                "no worker has announced the model it serves yet, so `"
                        + requested
                        + "` cannot be checked; the job was NOT "
                        + "accepted, retry after the Retry-After seconds (or send no model name).",
                Facts.retryAfter(retryAfter));
    }

    public static RefusedException modelWithoutWorkers(
            String requested, String pool, long secondsSilent, Duration retryAfter) {
        return new RefusedException(
                new Kind(503, "model-without-workers", "No worker serves the model now"),
                "no worker of `"
                        + requested
                        + "` (pool "
                        + pool
                        + ") has announced itself for "
                        + secondsSilent
                        + " s; the job was NOT accepted, retry after the Retry-After seconds"
                        + " (rerank.models.queue-without-workers=true queues it instead, for a pool"
                        + " that scales from zero).",
                Facts.retryAfter(retryAfter));
    }

    public static RefusedException laneNotAllowed(
            String tenant, Priority lane, Collection<Priority> allowed, boolean ownSetting) {
        return new RefusedException(
                new Kind(403, "lane-not-allowed", "Lane not allowed"),
                "this job asks for the "
                        + lane.wireName()
                        + " lane, but this API key may submit to the lanes "
                        + allowed.stream().map(Priority::wireName).toList()
                        + " only (set \"priority\" to one of them; the operator grants lanes with "
                        + (ownSetting
                                ? "rerank.quotas.tenant.\"" + tenant + "\".lanes"
                                : "rerank.quotas.lanes")
                        + ")",
                Facts.NONE);
    }

    public static RefusedException idempotencyKeyReused(String jobId) {
        return new RefusedException(
                new Kind(422, "idempotency-key-reused", "Idempotency-Key already used"),
                "this Idempotency-Key was used for a different request (job "
                        + jobId
                        + "); use a new key for a new request",
                Facts.aboutJob(jobId));
    }

    public static RefusedException idempotencyInProgress(String jobId) {
        return new RefusedException(
                new Kind(
                        409,
                        "idempotency-in-progress",
                        "Request with this Idempotency-Key in progress"),
                "the first request with this Idempotency-Key (job "
                        + jobId
                        + ") is still being accepted; retry shortly",
                Facts.aboutJob(jobId).andRetryAfter(Duration.ofSeconds(1)));
    }

    public static RefusedException kafkaUnavailable(Duration retryAfter) {
        return new RefusedException(
                new Kind(503, "queue-unavailable", "Queue unavailable"),
                "the job queue did not acknowledge the job in time; it was NOT accepted. Retry later.",
                Facts.retryAfter(retryAfter));
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
                new Kind(503, "backlog-full", "Queue backlog too long"),
                backlogJobs
                        + " jobs are waiting and "
                        + wait
                        + "; jobs are accepted while the wait is under "
                        + limit.toSeconds()
                        + " s. The job was NOT accepted; retry after the Retry-After seconds.",
                Facts.retryAfter(retryAfter));
    }

    /**
     * A job with a deadline shorter than the wait for the work ahead of it: it could only end
     * expired. Names the shortest deadline accepted now; Retry-After is when its own would be.
     */
    public static RefusedException deadlineUnmeetable(
            long deadlineMs, Duration wait, Duration retryAfter) {
        return new RefusedException(
                new Kind(503, "deadline-unmeetable", "Deadline cannot be met"),
                "the work ahead of this job would take about "
                        + wait.toMillis()
                        + " ms at the workers' drain rate, longer than its deadline_ms of "
                        + deadlineMs
                        + ", so it could only expire. The job was NOT accepted; send it with"
                        + " deadline_ms of at least earliest_deadline_ms, or retry after the"
                        + " Retry-After seconds.",
                Facts.retryAfter(retryAfter).andEarliestDeadline(wait));
    }

    public static RefusedException quotaExceeded(String quota, String detail, Duration retryAfter) {
        return new RefusedException(
                new Kind(429, "quota-exceeded", "Tenant quota exceeded"),
                detail
                        + " ("
                        + quota
                        + "). The job was NOT accepted; retry after the Retry-After seconds.",
                Facts.retryAfter(retryAfter));
    }

    public static RefusedException storageFull(long used, long max, Duration retryAfter) {
        return new RefusedException(
                new Kind(503, "storage-full", "Job store full"),
                "the job store holds "
                        + (used >> 20)
                        + " of its "
                        + (max >> 20)
                        + " MiB; new jobs are refused until finished jobs "
                        + "expire. The job was NOT accepted; retry after the Retry-After seconds.",
                Facts.retryAfter(retryAfter));
    }

    public static RefusedException overloaded(String why, Duration retryAfter) {
        return new RefusedException(
                new Kind(503, "overloaded", "Gateway overloaded"),
                why + "; the job was NOT accepted. Retry after the Retry-After seconds.",
                Facts.retryAfter(retryAfter));
    }
}
