package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.store.BatchStore;
import dev.rerankqueue.gateway.webhook.WebhookPayloads;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.messaging.JobCodec;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;

/**
 * A webhook's body: an event naming what happened ({@code job.succeeded}, {@code job.failed},
 * {@code job.expired}, {@code job.cancelled}) with the job's view as {@code data}, exactly as
 * {@code GET /v1/rerank/jobs/{id}} returns it; or {@code batch.completed} with the batch's view as
 * {@code GET /v1/rerank/batches/{id}} returns it.
 */
@ApplicationScoped
public class JobViewPayloads implements WebhookPayloads {

    /**
     * @param id the message id, also in header {@code webhook-id}: the same on every attempt
     * @param type {@code job.} and the job's terminal status
     * @param createdAt when the job ended
     */
    public record Event(
            String id, String type, @JsonProperty("created_at") String createdAt, JobView data) {}

    private final GatewayConfig config;

    public JobViewPayloads(GatewayConfig config) {
        this.config = config;
    }

    /** A batch's event: {@code batch.completed} with the batch's view. */
    public record BatchEvent(
            String id,
            String type,
            @JsonProperty("created_at") String createdAt,
            BatchSubmissionResource.BatchView data) {}

    @Override
    public byte[] ofBatch(String eventId, BatchStore.Batch batch, List<JobStatus> statuses) {
        return JobCodec.toJsonBytes(
                new BatchEvent(
                        eventId,
                        "batch.completed",
                        Instant.now().toString(),
                        BatchesResource.view(batch, statuses)));
    }

    @Override
    public byte[] of(String eventId, JobState state) {
        JobView view = JobView.of(state, config.defaultModel());
        return JobCodec.toJsonBytes(
                new Event(
                        eventId,
                        "job." + state.status().wireName(),
                        Instant.ofEpochMilli(state.finishedAt()).toString(),
                        view));
    }
}
