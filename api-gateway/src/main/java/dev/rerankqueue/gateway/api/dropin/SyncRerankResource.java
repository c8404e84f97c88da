package dev.rerankqueue.gateway.api.dropin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.gateway.admission.BatchSubmitter;
import dev.rerankqueue.gateway.admission.JobSubmitter;
import dev.rerankqueue.gateway.api.BodyLimit;
import dev.rerankqueue.gateway.api.LargeBodies;
import dev.rerankqueue.gateway.api.RequestFields;
import dev.rerankqueue.gateway.auth.Caller;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.config.Limits;
import dev.rerankqueue.gateway.lifecycle.JobCanceller;
import dev.rerankqueue.gateway.sse.JobFollower;
import dev.rerankqueue.gateway.sse.SyncWaitException;
import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.JobCodec;
import io.smallrye.mutiny.Multi;
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
import java.util.concurrent.CopyOnWriteArrayList;
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
    private final JobCanceller canceller;

    private final LargeBodies largeBodies;

    public SyncRerankResource(
            JobSubmitter submitter,
            JobFollower follower,
            GatewayConfig config,
            BodyLimit bodyLimit,
            Caller caller,
            JobCanceller canceller,
            LargeBodies largeBodies) {
        this.largeBodies = largeBodies;
        this.canceller = canceller;
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
        return largeBodies.handle(caller.tenant(), body, () -> rerank(parse(body), idempotencyKey));
    }

    private Uni<Object> rerank(JsonNode tree, String idempotencyKey) {
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
        return largeBodies.handle(
                caller.tenant(),
                body,
                () -> {
                    JsonNode tree = parse(body);
                    return rerankAndWait(tree, idempotencyKey, true, RequestFields.warnings(tree));
                });
    }

    @POST
    @Path("v2/rerank")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Rerank and wait (Cohere v2 shape)")
    public Uni<SyncRerankResponse> rerankV2(
            byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        return largeBodies.handle(
                caller.tenant(),
                body,
                () -> {
                    JsonNode tree = parse(body);
                    RequestFields.refuseUnknown(tree); // as Cohere v2 does
                    return rerankAndWait(tree, idempotencyKey, false, List.of());
                });
    }

    @POST
    @Path("score")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary =
                    "Score pairs and wait (vLLM score API: queries/documents, text_1/text_2 or data_1/data_2; one-to-many or pairwise)")
    public Uni<Object> score(byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        return largeBodies.handle(
                caller.tenant(), body, () -> scoreAndWait(parse(body), idempotencyKey));
    }

    @POST
    @Path("v1/score")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Score pairs and wait (vLLM score API, as /score)")
    public Uni<Object> scoreV1(byte[] body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
        return largeBodies.handle(
                caller.tenant(), body, () -> scoreAndWait(parse(body), idempotencyKey));
    }

    /** Jobs of one pairwise {@code /score} call submitted and awaited at once. */
    static final int SCORE_CONCURRENCY = 16;

    /**
     * One job per distinct query (a one-to-many call is one job), at most {@link
     * #SCORE_CONCURRENCY} at once, then the scores in request order. The call is bounded before
     * anything is queued: its pairs by {@code max-documents}, its distinct queries by {@code
     * max-score-queries}, and every job is validated first. If one job fails, the jobs this call
     * queued are cancelled: nobody waits for their scores.
     */
    private Uni<Object> scoreAndWait(JsonNode tree, String idempotencyKey) {
        ScoreRequest score = ScoreRequest.from(tree);
        Limits limits = config.limits();
        if (score.pairs().size() > limits.maxDocuments()) {
            throw new InvalidRequestException(
                    "documents",
                    "holds "
                            + score.pairs().size()
                            + " pairs; the limit is "
                            + limits.maxDocuments()
                            + " per call (rerank.limits.max-documents)");
        }
        Map<String, List<Integer>> groups = score.byQuery();
        if (groups.size() > limits.maxScoreQueries()) {
            throw new InvalidRequestException(
                    "queries",
                    "holds "
                            + groups.size()
                            + " distinct queries; the limit is "
                            + limits.maxScoreQueries()
                            + " per call (rerank.limits.max-score-queries), each being a job of its"
                            + " own: split the call, or send one query with many documents");
        }
        List<RerankRequest> requests = new ArrayList<>(groups.size());
        for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
            List<Document> docs =
                    group.getValue().stream()
                            .map(i -> Document.of(score.pairs().get(i).document()))
                            .toList();
            RerankRequest request =
                    RerankRequest.of(group.getKey(), docs)
                            .withModel(score.model())
                            .withReturnDocuments(false)
                            .withPriority(score.priority())
                            .withModelOptions(score.truncatePromptTokens(), null, null);
            requests.add(submitter.check(request.withDefaultPriority(Priority.INTERACTIVE)));
        }
        String tenant = caller.tenant();
        List<String> queued = new CopyOnWriteArrayList<>();
        // each query's job has its own key, derived from the call's: a retried call finds the same
        // jobs
        return Multi.createFrom()
                .range(0, requests.size())
                .onItem()
                .transformToUni(
                        i ->
                                await(
                                                requests.get(i),
                                                BatchSubmitter.jobKey(idempotencyKey, i),
                                                queued)
                                        .map(state -> Map.entry(i, state)))
                .merge(SCORE_CONCURRENCY)
                .collect()
                .asList()
                .onFailure()
                .call(() -> cancelAll(queued, tenant))
                .map(
                        done -> {
                            JobState[] states = new JobState[done.size()];
                            done.forEach(e -> states[e.getKey()] = e.getValue());
                            return score.response(groups, List.of(states));
                        });
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
        RankFields.Rendered rendered = RequestFields.render(tree, config.limits());
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
                RerankRequest.of(tei.query(), docs)
                        .withReturnDocuments(Boolean.TRUE.equals(tei.returnText()))
                        .withTruncate(tei.truncate())
                        .withModelOptions(null, tei.truncationDirection(), tei.rawScores());
        return await(request.withReturnDocuments(false), idempotencyKey)
                .map(state -> TeiRequest.response(state, request));
    }

    /** Cancels the jobs a failed call queued, as far as they have not ended yet. */
    private Uni<Void> cancelAll(List<String> ids, String tenant) {
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Uni.join()
                .all(
                        ids.stream()
                                .map(
                                        id ->
                                                canceller
                                                        .cancel(id, tenant)
                                                        .onFailure()
                                                        .recoverWithNull())
                                .toList())
                .andCollectFailures()
                .replaceWithVoid();
    }

    private Uni<JobState> await(RerankRequest request, String idempotencyKey) {
        return await(request, idempotencyKey, null);
    }

    /**
     * Queues {@code request} as a sync job and waits for its end; the id of a job it queued (not
     * one a retry attached to) goes to {@code queued} when that is not null.
     */
    private Uni<JobState> await(RerankRequest request, String idempotencyKey, List<String> queued) {
        RerankRequest r = request.withDefaultPriority(Priority.INTERACTIVE);
        String tenant = caller.tenant();
        return submitter
                .submitSync(tenant, r, idempotencyKey)
                .invoke(
                        accepted -> {
                            if (queued != null && !accepted.replayed()) {
                                queued.add(accepted.id());
                            }
                        })
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
