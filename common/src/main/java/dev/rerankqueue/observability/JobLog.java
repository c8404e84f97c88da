package dev.rerankqueue.observability;

import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RerankJob;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * The job log: one line when the gateway accepts a job and one when a worker ends it, in the log
 * category {@value #CATEGORY}, with the same structured fields on both sides ({@code job_id},
 * {@code tenant}, {@code lane}, and {@code worker}, {@code status}, {@code queued_ms}, {@code
 * scoring_ms}, {@code total_ms} at the end), so that a job is followed across gateway and worker
 * logs by its id. With JSON logging on ({@code quarkus.log.console.json.enabled}) the fields are
 * keys of each line's {@code mdc} object; in the text format the message carries them. Silence it
 * with {@code quarkus.log.category."rerank.job".level=WARN}; failed and expired jobs are logged at
 * WARN.
 */
public final class JobLog {

    public static final String CATEGORY = "rerank.job";
    private static final Logger LOG = Logger.getLogger(CATEGORY);

    private JobLog() {}

    /** The gateway accepted {@code job} (Kafka acknowledged it) through {@code endpoint}. */
    public static void accepted(RerankJob job, String endpoint) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        String lane = job.lane().wireName();
        int documents = job.documentCount();
        with(
                new String[] {
                    "job_id",
                    job.id(),
                    "tenant",
                    job.tenant(),
                    "lane",
                    lane,
                    "documents",
                    Integer.toString(documents),
                    "charged_pairs",
                    Long.toString(job.cost().pairs()),
                    "charged_tokens",
                    Long.toString(job.cost().tokens()),
                    "endpoint",
                    endpoint
                },
                () ->
                        LOG.infof(
                                "job %s accepted: tenant=%s lane=%s documents=%d charged_pairs=%d"
                                        + " charged_tokens=%d endpoint=%s",
                                job.id(),
                                job.tenant(),
                                lane,
                                documents,
                                job.cost().pairs(),
                                job.cost().tokens(),
                                endpoint));
    }

    /**
     * {@code worker} moved {@code job} to the terminal {@code status}; {@code error} says why it
     * failed or expired.
     */
    public static void finished(
            RerankJob job,
            String worker,
            JobStatus status,
            long queuedMs,
            long scoringMs,
            long totalMs,
            String error) {
        Logger.Level level =
                status == JobStatus.FAILED || status == JobStatus.EXPIRED
                        ? Logger.Level.WARN
                        : Logger.Level.INFO;
        if (!LOG.isEnabled(level)) {
            return;
        }
        String lane = job.lane().wireName();
        with(
                new String[] {
                    "job_id",
                    job.id(),
                    "tenant",
                    job.tenant(),
                    "lane",
                    lane,
                    "worker",
                    worker,
                    "status",
                    status.wireName(),
                    "queued_ms",
                    Long.toString(queuedMs),
                    "scoring_ms",
                    Long.toString(scoringMs),
                    "total_ms",
                    Long.toString(totalMs)
                },
                () ->
                        LOG.logf(
                                level,
                                "job %s %s: tenant=%s lane=%s worker=%s queued_ms=%d scoring_ms=%d total_ms=%d%s",
                                job.id(),
                                status.wireName(),
                                job.tenant(),
                                lane,
                                worker,
                                queuedMs,
                                scoringMs,
                                totalMs,
                                error == null ? "" : " error=" + error));
    }

    /**
     * Logs with {@code fields} (name, value, ...) in the MDC, then removes them: log calls of other
     * jobs never see them.
     */
    private static void with(String[] fields, Runnable log) {
        for (int i = 0; i + 1 < fields.length; i += 2) {
            if (fields[i + 1] != null) {
                MDC.put(fields[i], fields[i + 1]);
            }
        }
        try {
            log.run();
        } finally {
            for (int i = 0; i < fields.length; i += 2) {
                MDC.remove(fields[i]);
            }
        }
    }
}
