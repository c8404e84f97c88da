package dev.rerankqueue.gateway.webhook;

import dev.rerankqueue.job.JobState;

/**
 * What a webhook POSTs about a job that ended: the HTTP layer renders its own job view, so a
 * webhook carries exactly what {@code GET /v1/rerank/jobs/{id}} returns.
 */
public interface WebhookPayloads {

    /** The body announcing {@code state} as message {@code eventId}. */
    byte[] of(String eventId, JobState state);
}
