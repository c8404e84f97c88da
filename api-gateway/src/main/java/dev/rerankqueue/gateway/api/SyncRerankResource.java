package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.gateway.admission.JobSubmitter;
import dev.rerankqueue.gateway.auth.Caller;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.sse.JobFollower;
import dev.rerankqueue.gateway.sse.SyncWaitException;
import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.JobCodec;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Synchronous drop-in endpoints in the shapes existing clients speak (Cohere v1/v2, Jina, vLLM
 * rerank and score, TEI). Underneath they take the same queue path as the job API and wait for the
 * result.
 */
@Path("/")
@Tag(
        name = "sync",
        description = "Synchronous drop-in rerank endpoints (Cohere, Jina, vLLM, TEI shapes)")
public class SyncRerankResource {

    private final JobSubmitter submitter;
    private final JobFollower follower;
    private final GatewayConfig config;
    private final BodyLimit bodyLimit;
    private final Caller caller;

    public SyncRerankResource(
            JobSubmitter submitter,
            JobFollower follower,
            GatewayConfig config,
            BodyLimit bodyLimit,
            Caller caller) {
        this.submitter = submitter;
        this.follower = follower;
        this.config = config;
        this.bodyLimit = bodyLimit;
        this.caller = caller;
    }

    @POST
    @Path("rerank")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rerank and wait (vLLM shape; TEI shape when the body has \"texts\")")
    public Uni<Object> rerank(byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        JsonNode tree = parse(body);
        if (tree.has("texts")) {
            try {
                return teiRerank(tree, idempotencyKey)
                        .onFailure()
                        .transform(TeiRequestFailure::new);
            } catch (RuntimeException e) {
                throw new TeiRequestFailure(e);
            }
        }
        return rerankAndWait(tree, idempotencyKey, true, RequestFields.warnings(tree)).map(r -> r);
    }

    @POST
    @Path("v1/rerank")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rerank and wait (Cohere v1, Jina and vLLM shape)")
    public Uni<SyncRerankResponse> rerankV1(
            byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        JsonNode tree = parse(body);
        return rerankAndWait(tree, idempotencyKey, true, RequestFields.warnings(tree));
    }

    @POST
    @Path("v2/rerank")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rerank and wait (Cohere v2 shape)")
    public Uni<SyncRerankResponse> rerankV2(
            byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        JsonNode tree = parse(body);
        RequestFields.refuseUnknown(tree); // as Cohere v2 does
        return rerankAndWait(tree, idempotencyKey, false, List.of());
    }

    @POST
    @Path("score")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary =
                    "Score pairs and wait (vLLM score API: queries/documents, text_1/text_2 or data_1/data_2; one-to-many or pairwise)")
    public Uni<Object> score(byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        return scoreAndWait(parse(body), idempotencyKey);
    }

    @POST
    @Path("v1/score")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Score pairs and wait (vLLM score API, as /score)")
    public Uni<Object> scoreV1(byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        return scoreAndWait(parse(body), idempotencyKey);
    }

    /**
     * One job per distinct query (a one-to-many call is one job), all awaited, then the scores in
     * request order.
     */
    private Uni<Object> scoreAndWait(JsonNode tree, String idempotencyKey) {
        ScoreRequest score = ScoreRequest.from(tree);
        Map<String, List<Integer>> groups = score.byQuery();
        List<Uni<JobState>> jobs = new ArrayList<>(groups.size());
        for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
            List<Document> docs =
                    group.getValue().stream()
                            .map(i -> Document.of(score.pairs().get(i).document()))
                            .toList();
            RerankRequest request =
                    new RerankRequest(
                                    score.model(),
                                    group.getKey(),
                                    docs,
                                    null,
                                    false,
                                    null,
                                    score.priority(),
                                    null)
                            .withModelOptions(score.truncatePromptTokens(), null, null);
            // each query's job has its own key, derived from the call's: a retried call finds the
            // same jobs
            jobs.add(
                    await(
                            request,
                            idempotencyKey == null ? null : idempotencyKey + "#" + jobs.size()));
        }
        return Uni.join().all(jobs).andFailFast().map(states -> score.response(groups, states));
    }

    private JsonNode parse(byte[] body) {
        bodyLimit.check(body);
        return JobCodec.readTree(body);
    }

    /**
     * @param documentsByDefault vLLM and Jina answer with each result's document unless {@code
     *     return_documents} is false; Cohere v2 only when asked
     * @param warnings what the answer's {@code meta.warnings} says about fields the route ignored
     */
    private Uni<SyncRerankResponse> rerankAndWait(
            JsonNode tree,
            String idempotencyKey,
            boolean documentsByDefault,
            List<String> warnings) {
        RankFields.Rendered rendered = RankFields.render(tree);
        RerankRequest parsed = RequestFields.toRequest(rendered.tree());
        RerankRequest request =
                documentsByDefault ? parsed.withDefaultReturnDocuments(true) : parsed;
        // the queued job never asks for document text: the answer takes it from this request, so
        // Redis keeps none
        return await(request.withReturnDocuments(false), idempotencyKey)
                .map(state -> SyncRerankResponse.of(state, request, rendered.sent(), warnings));
    }

    private Uni<Object> teiRerank(JsonNode tree, String idempotencyKey) {
        TeiRequest tei = JobCodec.convert(tree, TeiRequest.class);
        if (tei.texts() == null) {
            throw new InvalidRequestException("texts", "is required: a list of strings");
        }
        List<Document> docs = new ArrayList<>(tei.texts().size());
        for (String t : tei.texts()) {
            docs.add(t == null ? null : Document.of(t));
        }
        // TEI's truncate: false refuses an over-long text; absent, documents are cut to the model's
        // context as elsewhere, from the end truncation_direction names
        RerankRequest request =
                new RerankRequest(
                                null,
                                tei.query(),
                                docs,
                                null,
                                tei.returnText(),
                                null,
                                null,
                                null,
                                tei.truncate())
                        .withModelOptions(null, tei.truncationDirection(), tei.rawScores());
        return await(request.withReturnDocuments(false), idempotencyKey)
                .map(state -> TeiRequest.response(state, request));
    }

    private Uni<JobState> await(RerankRequest request, String idempotencyKey) {
        RerankRequest r = request.withDefaultPriority(Priority.INTERACTIVE);
        String tenant = caller.tenant();
        return submitter
                .submitSync(tenant, r, idempotencyKey)
                .chain(
                        accepted ->
                                follower.awaitEnd(accepted.id(), tenant, config.sync().timeout()))
                .map(
                        state -> {
                            if (state.status() != JobStatus.SUCCEEDED) {
                                throw SyncWaitException.jobEnded(
                                        state.id(), state.status().wireName(), state.error());
                            }
                            return state;
                        });
    }
}
