package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.ApiException.Facts;
import dev.rerankqueue.gateway.problem.ApiException.Kind;
import java.time.Duration;

/**
 * A synchronous call whose job did not finish in time, or ended without a result. Each factory is
 * one stable problem {@code type}.
 */
public final class SyncWaitException extends ApiException {

    private SyncWaitException(Kind kind, String detail, Facts facts) {
        super(kind, detail, facts);
    }

    public static SyncWaitException syncTimeout(String jobId, Duration waited) {
        return new SyncWaitException(
                new Kind(504, "sync-timeout", "Result not ready in time"),
                "the job was accepted but did not finish within "
                        + waited.toSeconds()
                        + " s; poll /v1/rerank/jobs/"
                        + jobId
                        + " for its result",
                Facts.aboutJob(jobId));
    }

    public static SyncWaitException jobEnded(String jobId, String status, String error) {
        return new SyncWaitException(
                new Kind(502, "job-" + status, "Job " + status),
                "the job ended " + status + (error == null ? "" : ": " + error),
                Facts.aboutJob(jobId));
    }
}
