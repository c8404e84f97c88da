package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.auth.Caller;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.sse.JobFollower;
import dev.rerankqueue.gateway.sse.SseConnections;
import dev.rerankqueue.gateway.sse.SseStreams;
import dev.rerankqueue.gateway.store.BatchStore;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.messaging.JobCodec;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A bulk submission's jobs: counts by status, and their results as they finish. */
@Path(BatchResource.BATCHES)
@Tag(name = "batches", description = "Bulk submission of many jobs, followed as one batch")
public class BatchesResource {

    private final BatchStore batches;
    private final JobFollower follower;
    private final Caller caller;
    private final GatewayConfig config;
    private final SseConnections connections;

    public BatchesResource(BatchStore batches, JobFollower follower, Caller caller, GatewayConfig config, SseConnections connections) {
        this.batches = batches;
        this.follower = follower;
        this.caller = caller;
        this.config = config;
        this.connections = connections;
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Read a batch: its jobs counted by status")
    public Uni<BatchResource.BatchView> get(@PathParam("id") String id) {
        return find(id).chain(batch -> batches.statuses(batch.jobIds()).map(statuses -> view(batch, statuses)));
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Follow a batch", description = "One result (or error) event per job as it finishes, then a batch"
            + " event with the counts; the stream then ends.")
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @Context Sse sse) {
        String tenant = caller.tenant();
        // an unknown batch never gets here: KnownJobFilter answers 404 before the stream opens
        Runnable lease = connections.open(tenant);
        Multi<OutboundSseEvent> content = Multi.createFrom().uni(find(id)).onItem().transformToMultiAndConcatenate(batch -> {
            // one follower for the whole batch: one Redis read per change burst, not one poller per job
            Multi<OutboundSseEvent> results = follower.followAll(batch.jobIds(), tenant)
                    .map(state -> sse.newEventBuilder()
                            .name(SseStreams.eventName(state.status()))
                            .id(state.id())
                            .data(JobCodec.toJson(JobView.of(state, config.defaultModel())))
                            .build())
                    .select().first(config.results().retention());
            Multi<OutboundSseEvent> summary = Multi.createFrom().deferred(() -> Multi.createFrom().uni(
                    batches.statuses(batch.jobIds()).map(statuses -> sse.newEventBuilder().name("batch")
                            .data(JobCodec.toJson(view(batch, statuses))).build())));
            return Multi.createBy().concatenating().streams(results, summary);
        });
        return SseStreams.withHeartbeats(sse, content, config.events().heartbeat(), lease);
    }

    private Uni<BatchStore.Batch> find(String id) {
        return batches.require(id, caller.tenant());
    }

    private static BatchResource.BatchView view(BatchStore.Batch batch, List<JobStatus> statuses) {
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
        return new BatchResource.BatchView(batch.id(), Instant.ofEpochMilli(batch.createdAt()).toString(), statuses.size(), counts, finished,
                finished == statuses.size(), BatchResource.links(batch.id()));
    }
}
