package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.admission.Endpoint;
import dev.rerankqueue.gateway.admission.JobSubmitter;
import dev.rerankqueue.gateway.auth.Caller;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.lifecycle.JobCanceller;
import dev.rerankqueue.gateway.sse.JobFollower;
import dev.rerankqueue.gateway.sse.SseConnections;
import dev.rerankqueue.gateway.sse.SseStreams;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.gateway.store.StoreException;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Violation;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.store.RedisKeys;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The asynchronous job API: submit, poll, follow over server-sent events. */
@Path(JobResource.PATH)
@Tag(name = "jobs", description = "Asynchronous rerank jobs")
public class JobResource {

    public static final String PATH = "/v1/rerank/jobs";

    private final JobSubmitter submitter;
    private final JobFollower follower;
    private final GatewayConfig config;
    private final BodyLimit bodyLimit;
    private final Caller caller;
    private final JobCanceller canceller;
    private final SseConnections connections;
    private final JobStore store;

    private final LargeBodies largeBodies;

    public JobResource(
            JobSubmitter submitter,
            JobFollower follower,
            GatewayConfig config,
            BodyLimit bodyLimit,
            Caller caller,
            JobCanceller canceller,
            SseConnections connections,
            JobStore store,
            LargeBodies largeBodies) {
        this.largeBodies = largeBodies;
        this.connections = connections;
        this.store = store;
        this.submitter = submitter;
        this.follower = follower;
        this.config = config;
        this.bodyLimit = bodyLimit;
        this.caller = caller;
        this.canceller = canceller;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Submit a rerank job",
            description = "Answers 202 with the job id once Kafka has acknowledged the job.")
    public Uni<Response> submit(
            byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        return largeBodies.handle(caller.tenant(), body, () -> submitParsed(body, idempotencyKey));
    }

    private Uni<Response> submitParsed(byte[] body, String idempotencyKey) {
        bodyLimit.check(body);
        var request = RequestFields.toKnownRequest(JobCodec.readTree(body), config.limits());
        return submitter
                .submit(caller.tenant(), request, Endpoint.JOBS, idempotencyKey)
                .map(
                        accepted -> {
                            AcceptedView view = AcceptedView.of(accepted);
                            Response.ResponseBuilder r =
                                    Response.accepted(view)
                                            .location(URI.create(view.links().self()));
                            if (accepted.replayed()) {
                                r.header("Idempotent-Replayed", "true");
                            }
                            return r.build();
                        });
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "List your jobs, newest first",
            description =
                    "Paginated by after=<last_id of the previous page> and limit (1-100, default"
                            + " 20); filtered by status and by metadata[KEY]=VALUE (every one must"
                            + " match). A filtered page looks at rerank.limits.max-list-scan jobs at"
                            + " most and may hold fewer than limit with has_more true. Items carry"
                            + " no results unless results=true; a page with results ends early"
                            + " (has_more true) once it holds 8 MB of them.")
    public Uni<JobList> list(
            @QueryParam("after") String after,
            @QueryParam("limit") @DefaultValue("20") String limit,
            @QueryParam("status") String status,
            @QueryParam("results") @DefaultValue("false") String results,
            @Context UriInfo uri) {
        List<Violation> errors = new ArrayList<>();
        int pageSize = 0;
        try {
            pageSize = Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            // reported below
        }
        if (pageSize < 1 || pageSize > 100) {
            errors.add(new Violation("limit", "must be an integer from 1 to 100, got " + limit));
        }
        if (!results.equals("true") && !results.equals("false")) {
            errors.add(new Violation("results", "must be true or false, got " + results));
        }
        if (status != null
                && Arrays.stream(JobStatus.values()).noneMatch(s -> s.wireName().equals(status))) {
            errors.add(
                    new Violation(
                            "status",
                            "must be one of "
                                    + Arrays.stream(JobStatus.values())
                                            .map(JobStatus::wireName)
                                            .toList()
                                    + ", got "
                                    + status));
        }
        Map<String, String> metadata = new TreeMap<>();
        uri.getQueryParameters()
                .forEach(
                        (name, values) -> {
                            if (name.startsWith("metadata[") && name.endsWith("]")) {
                                metadata.put(name.substring(9, name.length() - 1), values.get(0));
                            } else if (!List.of("after", "limit", "status", "results")
                                    .contains(name)) {
                                errors.add(
                                        new Violation(
                                                name,
                                                "unknown parameter; filters are status and"
                                                        + " metadata[KEY]=VALUE"));
                            }
                        });
        if (!errors.isEmpty()) {
            throw RequestException.invalid(errors);
        }
        if (after != null) {
            checkId(after);
        }
        return store.list(
                        caller.tenant(),
                        after,
                        pageSize,
                        config.limits().maxListScan(),
                        status,
                        results.equals("true"),
                        metadata)
                .map(
                        page ->
                                JobList.of(
                                        page.jobs().stream()
                                                .map(s -> JobView.of(s, config.defaultModel()))
                                                .toList(),
                                        page.lastId(),
                                        page.hasMore()));
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Read a job: status, then ranked results, usage and timings")
    public Uni<JobView> get(@PathParam("id") String id) {
        return follower.read(checkId(id), caller.tenant())
                .map(
                        state -> {
                            if (state == null) {
                                throw StoreException.jobNotFound(id);
                            }
                            return JobView.of(state, config.defaultModel());
                        });
    }

    @DELETE
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Cancel a queued or running job",
            description = "Idempotent; 409 if the job already finished otherwise.")
    public Uni<JobView> cancel(@PathParam("id") String id) {
        return canceller
                .cancel(checkId(id), caller.tenant())
                .map(state -> JobView.of(state, config.defaultModel()));
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(
            summary = "Follow a job",
            description =
                    "status events (queued, running), progress events while a large job"
                            + " (rerank.worker.progress.min-pairs pairs or more) is scored, then one result (or error) event; the stream then ends."
                            + " 429 when the tenant has rerank.quotas.max-sse-connections streams open on this gateway.")
    public Multi<OutboundSseEvent> events(
            @PathParam("id") String id,
            @HeaderParam("Last-Event-ID") String lastEventId,
            @Context Sse sse) {
        // An unknown job never gets here: KnownJobFilter answers 404 before the stream opens.
        String job = checkId(id);
        Runnable lease = connections.open(caller.tenant());
        Multi<OutboundSseEvent> states =
                follower.follow(job, caller.tenant(), parseVersion(lastEventId))
                        .map(state -> toEvent(sse, state));
        return SseStreams.withHeartbeats(sse, states, config.events().heartbeat(), lease);
    }

    private OutboundSseEvent toEvent(Sse sse, JobState state) {
        return sse.newEventBuilder()
                .name(SseStreams.eventName(state))
                .id(Long.toString(state.version()))
                .data(JobCodec.toJson(JobView.of(state, config.defaultModel())))
                .build();
    }

    static String checkId(String id) {
        if (!RedisKeys.isId(id)) {
            throw StoreException.jobNotFound(id);
        }
        return id;
    }

    private static long parseVersion(String lastEventId) {
        if (lastEventId == null || lastEventId.isBlank()) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(lastEventId.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
