package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.auth.Caller;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.lifecycle.JobCanceller;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.sse.JobFollower;
import dev.rerankqueue.gateway.sse.KnownBatch;
import dev.rerankqueue.gateway.sse.SseConnections;
import dev.rerankqueue.gateway.sse.SseStreams;
import dev.rerankqueue.gateway.store.BatchStore;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.messaging.JobCodec;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** A bulk submission's jobs: counts by status, and their results as they finish. */
@Path(BatchSubmissionResource.BATCHES)
@Tag(name = "batches", description = "Bulk submission of many jobs, followed as one batch")
public class BatchesResource {

    private final BatchStore batches;
    private final JobFollower follower;
    private final Caller caller;
    private final GatewayConfig config;
    private final SseConnections connections;
    private final JobStore jobs;
    private final JobCanceller canceller;
    private final KnownBatch knownBatch;

    public BatchesResource(
            BatchStore batches,
            JobFollower follower,
            Caller caller,
            GatewayConfig config,
            SseConnections connections,
            JobStore jobs,
            JobCanceller canceller,
            KnownBatch knownBatch) {
        this.knownBatch = knownBatch;
        this.batches = batches;
        this.jobs = jobs;
        this.canceller = canceller;
        this.follower = follower;
        this.caller = caller;
        this.config = config;
        this.connections = connections;
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Read a batch: its jobs counted by status")
    public Uni<BatchSubmissionResource.BatchView> get(@PathParam("id") String id) {
        return find(id).chain(this::counted);
    }

    /** The batch's view, its jobs counted by status as they are now. */
    private Uni<BatchSubmissionResource.BatchView> counted(BatchStore.Batch batch) {
        return batches.statuses(batch.jobIds()).map(statuses -> view(batch, statuses));
    }

    @DELETE
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Cancel a batch",
            description =
                    "Cancels every job of the batch that has not finished (queued or"
                            + " running: a running job's result is refused), keeps the finished ones, and answers the batch's counts."
                            + " Cancelling again changes nothing.")
    public Uni<BatchSubmissionResource.BatchView> cancel(@PathParam("id") String id) {
        String tenant = caller.tenant();
        return find(id).chain(
                        batch ->
                                batches.statuses(batch.jobIds())
                                        .chain(
                                                statuses ->
                                                        cancelUnfinished(batch, statuses, tenant))
                                        .chain(() -> counted(batch)));
    }

    /**
     * Cancels the jobs of {@code batch} that {@code statuses} show unfinished, 16 at a time. A job
     * that finished meanwhile is not cancellable (409): it keeps its result.
     */
    private Uni<Void> cancelUnfinished(
            BatchStore.Batch batch, List<JobStatus> statuses, String tenant) {
        List<String> unfinished = new ArrayList<>();
        for (int i = 0; i < statuses.size(); i++) {
            JobStatus s = statuses.get(i);
            if (s != null && !s.isTerminal()) {
                unfinished.add(batch.jobIds().get(i));
            }
        }
        if (unfinished.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom()
                .iterable(unfinished)
                .onItem()
                .transformToUni(jobId -> cancelIfStillRunning(jobId, tenant))
                .merge(16)
                .collect()
                .last()
                .replaceWithVoid();
    }

    private Uni<Void> cancelIfStillRunning(String jobId, String tenant) {
        return canceller
                .cancel(jobId, tenant)
                .onFailure(ApiException.class)
                .recoverWithNull()
                .replaceWithVoid();
    }

    @GET
    @Path("{id}/results")
    @Produces("application/x-ndjson")
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Download a batch's jobs as JSON Lines",
            description =
                    "One line per job, in submission order, each"
                            + " the job as GET /v1/rerank/jobs/{id} shows it (results once succeeded). Streamed: read job by job, never"
                            + " built in memory.")
    public Multi<Object> results(@PathParam("id") String id) {
        return Multi.createFrom()
                .uni(find(id))
                .onItem()
                .transformToMultiAndConcatenate(
                        batch ->
                                Multi.createFrom()
                                        .iterable(batch.jobIds())
                                        .onItem()
                                        .transformToUniAndConcatenate(this::lineOf));
    }

    /**
     * One job's line of the download: the job as {@code GET /v1/rerank/jobs/{id}} shows it; a job
     * whose state expired before the batch did keeps its line, as unknown.
     */
    private Uni<Object> lineOf(String jobId) {
        return jobs.find(jobId)
                .map(
                        state ->
                                state == null
                                        ? Map.of("id", jobId, "status", "unknown")
                                        : JobView.of(state, config.defaultModel()));
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(
            summary = "Follow a batch",
            description =
                    "One result (or error) event per job as it finishes, then a batch"
                            + " event with the counts; the stream then ends.")
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @Context Sse sse) {
        String tenant = caller.tenant();
        // an unknown batch never gets here: KnownJobFilter answers 404 before the stream opens,
        // and tells how many jobs the stream follows
        Runnable lease = connections.open(tenant, knownBatch.jobs());
        Multi<OutboundSseEvent> content =
                Multi.createFrom()
                        .uni(find(id))
                        .onItem()
                        .transformToMultiAndConcatenate(
                                batch ->
                                        Multi.createBy()
                                                .concatenating()
                                                .streams(
                                                        jobEvents(batch, tenant, sse),
                                                        summaryEvent(batch, sse)));
        return SseStreams.withHeartbeats(sse, content, config.events().heartbeat(), lease);
    }

    /**
     * One result (or error) event per job of {@code batch} as it finishes: one follower for the
     * whole batch, one Redis read per burst of changes, not one poller per job.
     */
    private Multi<OutboundSseEvent> jobEvents(BatchStore.Batch batch, String tenant, Sse sse) {
        return follower.followAll(batch.jobIds(), tenant)
                .map(state -> toEvent(state, sse))
                .select()
                .first(config.results().retention());
    }

    private OutboundSseEvent toEvent(JobState state, Sse sse) {
        return sse.newEventBuilder()
                .name(SseStreams.eventName(state.status()))
                .id(state.id())
                .data(JobCodec.toJson(JobView.of(state, config.defaultModel())))
                .build();
    }

    /** The batch event with its counts, read once every job event has been sent. */
    private Multi<OutboundSseEvent> summaryEvent(BatchStore.Batch batch, Sse sse) {
        return Multi.createFrom()
                .deferred(
                        () -> Multi.createFrom().uni(counted(batch).map(v -> batchEvent(v, sse))));
    }

    private static OutboundSseEvent batchEvent(BatchSubmissionResource.BatchView view, Sse sse) {
        return sse.newEventBuilder().name("batch").data(JobCodec.toJson(view)).build();
    }

    private Uni<BatchStore.Batch> find(String id) {
        return batches.require(id, caller.tenant());
    }

    static BatchSubmissionResource.BatchView view(
            BatchStore.Batch batch, List<JobStatus> statuses) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (JobStatus s : JobStatus.values()) {
            counts.put(s.wireName(), 0);
        }
        counts.put("unknown", 0);
        int finished = 0;
        for (JobStatus s : statuses) {
            counts.merge(s == null ? "unknown" : s.wireName(), 1, Integer::sum);
            if (s != null && s.isTerminal()) {
                finished++;
            }
        }
        return new BatchSubmissionResource.BatchView(
                batch.id(),
                Instant.ofEpochMilli(batch.createdAt()).toString(),
                statuses.size(),
                counts,
                finished,
                finished == statuses.size(),
                batch.metadata(),
                BatchSubmissionResource.links(batch.id()));
    }
}
