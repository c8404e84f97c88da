package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.gateway.admission.BatchSubmitter;
import dev.rerankqueue.gateway.auth.Caller;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.config.Limits;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.Problem;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.job.Violation;
import dev.rerankqueue.messaging.JobCodec;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Bulk submission: many jobs in one request, followed together as a batch ({@link
 * BatchesResource}).
 */
@Path(BatchSubmissionResource.PATH)
@Tag(name = "batches", description = "Bulk submission of many jobs, followed as one batch")
public class BatchSubmissionResource {

    public static final String PATH = "/v1/rerank/jobs:batch";
    public static final String BATCHES = "/v1/rerank/batches";

    /** The media type of a JSON Lines upload; {@link #JSON_LINES_TYPES} are all taken. */
    public static final String JSON_LINES = "application/x-ndjson";

    static final String JSONL = "application/jsonl";
    static final String X_JSON_LINES = "application/x-jsonlines";

    static final Set<String> JSON_LINES_TYPES = Set.of(JSON_LINES, JSONL, X_JSON_LINES);

    /**
     * One job of the 202: accepted (id and links) or refused (the problem, e.g. a quota or backlog
     * refusal).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record JobEntry(int index, String id, AcceptedView.Links links, Problem error) {}

    /**
     * @param self counts by status; @param events each job's result as it finishes
     *     (text/event-stream)
     */
    public record Links(String self, String events) {}

    public record AcceptedBatchView(
            @JsonProperty("batch_id") String batchId,
            @JsonProperty("created_at") String createdAt,
            long accepted,
            long refused,
            List<JobEntry> jobs,
            Links links) {}

    /**
     * @param metadata the client's own labels of the whole batch, as sent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BatchView(
            String id,
            @JsonProperty("created_at") String createdAt,
            int total,
            Map<String, Integer> counts,
            int finished,
            boolean done,
            Map<String, String> metadata,
            Links links) {}

    /**
     * A JSON Lines upload's batch {@code metadata}, from {@code metadata[KEY]=VALUE} parameters.
     */
    static Map<String, String> metadataOf(UriInfo uri) {
        Map<String, String> out = new LinkedHashMap<>();
        uri.getQueryParameters()
                .forEach(
                        (name, values) -> {
                            if (name.equals("webhook")) {
                                return;
                            }
                            if (name.startsWith("metadata[") && name.endsWith("]")) {
                                out.put(
                                        name.substring("metadata[".length(), name.length() - 1),
                                        values.get(values.size() - 1));
                            } else {
                                throw new InvalidRequestException(
                                        name,
                                        "is not a parameter of an upload (known: metadata[KEY]=VALUE,"
                                                + " webhook)");
                            }
                        });
        return out.isEmpty() ? null : out;
    }

    static Links links(String id) {
        return new Links(BATCHES + "/" + id, BATCHES + "/" + id + "/events");
    }

    private final BatchSubmitter submitter;
    private final BodyLimit bodyLimit;
    private final Caller caller;
    private final JsonLinesUpload upload;
    private final Limits limits;

    private final LargeBodies largeBodies;

    public BatchSubmissionResource(
            BatchSubmitter submitter,
            BodyLimit bodyLimit,
            Caller caller,
            JsonLinesUpload upload,
            GatewayConfig config,
            LargeBodies largeBodies) {
        this.largeBodies = largeBodies;
        this.limits = config.limits();
        this.submitter = submitter;
        this.bodyLimit = bodyLimit;
        this.caller = caller;
        this.upload = upload;
    }

    @POST
    @Consumes({JSON_LINES, JSONL, X_JSON_LINES})
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(
            summary = "Upload many jobs as JSON Lines",
            description =
                    "One job per line, read as it arrives (up to rerank.limits.max-upload-jobs jobs,"
                            + " each line at most rerank.limits.max-body-size). Each valid line is"
                            + " submitted at once; invalid lines are reported by line number and the"
                            + " rest go on. An admission refusal stops the upload at that line"
                            + " (stopped_at_line): resend from there with the same Idempotency-Key."
                            + " 202 with the batch id when any job was accepted.")
    public Response submitLines(
            InputStream body,
            @HeaderParam("Idempotency-Key") String idempotencyKey,
            @Context UriInfo uri) {
        String tenant = caller.tenant();
        BatchSubmitter.Own own =
                submitter.check(
                        tenant,
                        new BatchSubmitter.Own(
                                metadataOf(uri), uri.getQueryParameters().getFirst("webhook")));
        JsonLinesUpload.Outcome outcome = upload.run(tenant, body, own, idempotencyKey);
        JsonLinesUpload.AcceptedUploadView view = outcome.view();
        if (view.accepted() == 0) {
            if (outcome.stop() != null) {
                throw outcome.stop();
            }
            throw new InvalidRequestException(
                    view.errors().isEmpty()
                            ? List.of(new Violation("body", "holds no job: one JSON object a line"))
                            : view.errors().stream()
                                    .limit(10)
                                    .map(e -> new Violation("line " + e.line(), e.detail()))
                                    .toList());
        }
        Response.ResponseBuilder r =
                Response.accepted(view).location(URI.create(view.links().self()));
        if (outcome.stop() != null && outcome.stop().retryAfterSeconds() != null) {
            r.header("Retry-After", outcome.stop().retryAfterSeconds());
        }
        return r.build();
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Submit many jobs at once",
            description =
                    "Body {\"jobs\":[<job>, ...]} with up to rerank.limits.max-batch-jobs jobs (default priority \"batch\")."
                            + " Every job is validated first; then 202 with one id per accepted job and the batch id. Jobs refused"
                            + " by a quota or admission control are listed with their problem; resend with the same Idempotency-Key"
                            + " to submit only those.")
    public Uni<Response> submit(
            byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        return largeBodies.handle(caller.tenant(), body, () -> submitParsed(body, idempotencyKey));
    }

    private Uni<Response> submitParsed(byte[] body, String idempotencyKey) {
        bodyLimit.check(body);
        JsonNode tree = JobCodec.readTree(body);
        JsonNode jobs = tree.path("jobs");
        if (!tree.isObject() || !jobs.isArray()) {
            throw new InvalidRequestException("jobs", "is required: an array of rerank jobs");
        }
        List<RerankRequest> requests = new ArrayList<>(jobs.size());
        List<Violation> violations = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
            try {
                requests.add(RequestFields.toKnownRequest(jobs.get(i), limits));
            } catch (InvalidRequestException e) {
                for (Violation v : e.violations()) {
                    violations.add(
                            new Violation(
                                    "jobs["
                                            + i
                                            + "]"
                                            + (v.field().isEmpty() ? "" : "." + v.field()),
                                    v.message()));
                }
            }
        }
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        String tenant = caller.tenant();
        // the batch's own fields, typed as strictly as a job's
        BatchSubmitter.Own own =
                submitter.check(tenant, JobCodec.convert(tree, BatchSubmitter.Own.class));
        List<RerankRequest> valid = submitter.validate(tenant, requests);
        return submitter
                .submit(tenant, valid, own, idempotencyKey)
                .map(
                        batch -> {
                            List<JobEntry> entries = new ArrayList<>();
                            ApiException firstRefusal = null;
                            for (BatchSubmitter.Outcome o : batch.outcomes()) {
                                if (o.accepted() != null) {
                                    entries.add(
                                            new JobEntry(
                                                    o.index(),
                                                    o.accepted().id(),
                                                    AcceptedView.of(o.accepted()).links(),
                                                    null));
                                } else {
                                    firstRefusal =
                                            firstRefusal == null ? o.refused() : firstRefusal;
                                    entries.add(
                                            new JobEntry(
                                                    o.index(),
                                                    null,
                                                    null,
                                                    o.refused().problem(null)));
                                }
                            }
                            if (batch.acceptedCount() == 0) {
                                // nothing accepted: the answer is the refusal itself
                                // (503/429 with Retry-After)
                                throw firstRefusal;
                            }
                            Links links = links(batch.id());
                            AcceptedBatchView view =
                                    new AcceptedBatchView(
                                            batch.id(),
                                            Instant.ofEpochMilli(batch.createdAt()).toString(),
                                            batch.acceptedCount(),
                                            batch.outcomes().size() - batch.acceptedCount(),
                                            entries,
                                            links);
                            Response.ResponseBuilder r =
                                    Response.accepted(view).location(URI.create(links.self()));
                            if (firstRefusal != null && firstRefusal.retryAfterSeconds() != null) {
                                r.header("Retry-After", firstRefusal.retryAfterSeconds());
                            }
                            return r.build();
                        });
    }
}
