package dev.rerankqueue.gateway.webhook;

import dev.rerankqueue.gateway.store.BatchStore;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import java.util.List;

/**
 * What a webhook POSTs about a job that ended: the HTTP layer renders its own job view, so a
 * webhook carries exactly what {@code GET /v1/rerank/jobs/{id}} returns.
 */
public interface WebhookPayloads {

    /** The body announcing {@code state} as message {@code eventId}. */
    byte[] of(String eventId, JobState state);

    /** The body announcing that every job of {@code batch} has ended, their {@code statuses}. */
    byte[] ofBatch(String eventId, BatchStore.Batch batch, List<JobStatus> statuses);
}
