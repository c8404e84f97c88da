package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.List;

/**
 * A synchronous call whose job did not finish in time, or ended without a result. Each factory is
 * one stable problem {@code type}.
 */
public final class SyncWaitException extends ApiException {

    private SyncWaitException(
            int status,
            String slug,
            String title,
            String detail,
            String jobId,
            Duration retryAfter,
            List<Violation> errors) {
        super(status, slug, title, detail, jobId, retryAfter, errors);
    }

    public static SyncWaitException syncTimeout(String jobId, Duration waited) {
        return new SyncWaitException(
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

    public static SyncWaitException jobEnded(String jobId, String status, String error) {
        return new SyncWaitException(
                502,
                "job-" + status,
                "Job " + status,
                "the job ended " + status + (error == null ? "" : ": " + error),
                jobId,
                null,
                null);
    }
}
