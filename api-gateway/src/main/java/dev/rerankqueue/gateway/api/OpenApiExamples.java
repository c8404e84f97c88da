package dev.rerankqueue.gateway.api;

import static dev.rerankqueue.gateway.api.OpenApiBodies.*;

import dev.rerankqueue.gateway.admission.RefusedException;
import dev.rerankqueue.gateway.api.dropin.DropInErrors;
import dev.rerankqueue.gateway.auth.UnauthorizedException;
import dev.rerankqueue.gateway.lifecycle.JobAlreadyFinishedException;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.sse.SyncWaitException;
import dev.rerankqueue.gateway.store.StoreException;
import dev.rerankqueue.job.Violation;
import dev.rerankqueue.messaging.JobCodec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.MediaType;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Adds examples to the published OpenAPI document: a request and a success response for every
 * endpoint, and for every error an endpoint can answer, the body the gateway really sends
 * (problem+json; on the drop-in routes with each client family's fields) (built by the same {@link
 * ApiException} factories the endpoints use, so the examples cannot drift from the code).
 */
public class OpenApiExamples implements OASFilter {

    private static final Map<String, ApiException> ERRORS = new LinkedHashMap<>();

    static {
        ERRORS.put(
                "malformed-json",
                RequestException.malformed(
                        "malformed JSON: Unexpected end-of-input (line 1, column 12)"));
        ERRORS.put(
                "unauthorized",
                UnauthorizedException.unauthorized(
                        "send the API key as Authorization: Bearer <key>"));
        ERRORS.put("job-not-found", StoreException.jobNotFound(JOB_ID));
        ERRORS.put("batch-not-found", StoreException.batchNotFound(BATCH_ID));
        ERRORS.put(
                "job-already-finished",
                JobAlreadyFinishedException.notCancellable(JOB_ID, "succeeded"));
        ERRORS.put("idempotency-in-progress", RefusedException.idempotencyInProgress(JOB_ID));
        ERRORS.put("body-too-large", RequestException.tooLarge(12_582_912, 10_485_760));
        ERRORS.put(
                "invalid-request",
                RequestException.invalid(
                        List.of(
                                new Violation("query", "must not be empty"),
                                new Violation(
                                        "documents",
                                        "has 10001 documents; the limit is 10000 (rerank.limits.max-documents)"))));
        ERRORS.put("idempotency-key-reused", RefusedException.idempotencyKeyReused(JOB_ID));
        ERRORS.put(
                "model-not-found",
                RefusedException.modelNotFound(
                        "BAAI/bge-reranker-v2-m3", List.of("Qwen/Qwen3-Reranker-0.6B")));
        ERRORS.put(
                "model-not-ready",
                RefusedException.modelNotReady("Qwen/Qwen3-Reranker-0.6B", Duration.ofSeconds(5)));
        ERRORS.put(
                "quota-exceeded",
                RefusedException.quotaExceeded(
                        "rerank.quotas.max-in-flight-jobs",
                        "tenant acme has 10000 jobs queued or running",
                        Duration.ofSeconds(2)));
        ERRORS.put(
                "backlog-full",
                RefusedException.backlogFull(
                        48_000, 150.0, Duration.ofMinutes(5), Duration.ofSeconds(20)));
        ERRORS.put("queue-unavailable", RefusedException.kafkaUnavailable(Duration.ofSeconds(5)));
        ERRORS.put("store-unavailable", StoreException.unavailable("connection refused"));
        ERRORS.put("sync-timeout", SyncWaitException.syncTimeout(JOB_ID, Duration.ofSeconds(30)));
        ERRORS.put(
                "job-failed",
                SyncWaitException.jobEnded(
                        JOB_ID,
                        "failed",
                        "scoring failed: gave up after 14 failed attempts in 60 s; last error: vLLM answered 500"));
    }

    private static final List<String> SUBMIT_ERRORS =
            List.of(
                    "malformed-json",
                    "unauthorized",
                    "body-too-large",
                    "invalid-request",
                    "model-not-found",
                    "model-not-ready",
                    "quota-exceeded",
                    "backlog-full",
                    "queue-unavailable");
    private static final List<String> SYNC_ERRORS =
            List.of(
                    "malformed-json",
                    "unauthorized",
                    "body-too-large",
                    "invalid-request",
                    "model-not-found",
                    "model-not-ready",
                    "quota-exceeded",
                    "backlog-full",
                    "queue-unavailable",
                    "job-failed",
                    "sync-timeout");

    /** Per endpoint: request example, success status and example, errors. */
    private record Doc(
            String request,
            String status,
            String response,
            String responseType,
            List<String> errors) {}

    private static final Map<String, Doc> DOCS = new LinkedHashMap<>();

    static {
        DOCS.put(
                "POST /v1/rerank/jobs",
                new Doc(
                        JOB_REQUEST,
                        "202",
                        ACCEPTED,
                        "application/json",
                        concat(
                                SUBMIT_ERRORS,
                                "idempotency-key-reused",
                                "idempotency-in-progress")));
        DOCS.put(
                "GET /v1/rerank/jobs",
                new Doc(
                        null,
                        "200",
                        """
                        {"object": "list", "data": [%s], "first_id": "%s", "last_id": "%s",
                         "has_more": true}"""
                                .formatted(JOB_DONE, JOB_ID, JOB_ID),
                        "application/json",
                        List.of(
                                "unauthorized",
                                "invalid-request",
                                "job-not-found",
                                "store-unavailable")));
        DOCS.put(
                "GET /v1/rerank/jobs/{id}",
                new Doc(
                        null,
                        "200",
                        JOB_DONE,
                        "application/json",
                        List.of("unauthorized", "job-not-found", "store-unavailable")));
        DOCS.put(
                "DELETE /v1/rerank/jobs/{id}",
                new Doc(
                        null,
                        "200",
                        JOB_DONE.replace("\"succeeded\"", "\"cancelled\""),
                        "application/json",
                        List.of("unauthorized", "job-not-found", "job-already-finished")));
        DOCS.put(
                "GET /v1/rerank/jobs/{id}/events",
                new Doc(
                        null,
                        "200",
                        JOB_EVENTS,
                        "text/event-stream",
                        List.of("unauthorized", "job-not-found", "quota-exceeded")));
        DOCS.put(
                "POST /v1/rerank/jobs:batch",
                new Doc(
                        BULK_REQUEST,
                        "202",
                        BULK_ACCEPTED,
                        "application/json",
                        concat(SUBMIT_ERRORS, "idempotency-key-reused")));
        DOCS.put(
                "GET /v1/rerank/batches/{id}",
                new Doc(
                        null,
                        "200",
                        BATCH_STATUS,
                        "application/json",
                        List.of("unauthorized", "batch-not-found")));
        DOCS.put(
                "DELETE /v1/rerank/batches/{id}",
                new Doc(
                        null,
                        "200",
                        BATCH_STATUS
                                .replace("\"running\":1", "\"running\":0")
                                .replace("\"cancelled\":0", "\"cancelled\":1")
                                .replace("\"finished\":1", "\"finished\":2")
                                .replace("false", "true"),
                        "application/json",
                        List.of("unauthorized", "batch-not-found")));
        DOCS.put(
                "GET /v1/rerank/batches/{id}/results",
                new Doc(
                        null,
                        "200",
                        BATCH_RESULTS,
                        "application/x-ndjson",
                        List.of("unauthorized", "batch-not-found")));
        DOCS.put(
                "GET /v1/rerank/batches/{id}/events",
                new Doc(
                        null,
                        "200",
                        BATCH_EVENTS,
                        "text/event-stream",
                        List.of("unauthorized", "batch-not-found", "quota-exceeded")));
        DOCS.put(
                "POST /v1/rerank",
                new Doc(
                        COHERE_V1_REQUEST,
                        "200",
                        COHERE_V1_RESPONSE,
                        "application/json",
                        SYNC_ERRORS));
        DOCS.put(
                "POST /v2/rerank",
                new Doc(
                        COHERE_V2_REQUEST,
                        "200",
                        COHERE_V2_RESPONSE,
                        "application/json",
                        SYNC_ERRORS));
        DOCS.put(
                "POST /rerank",
                new Doc(
                        COHERE_V1_REQUEST,
                        "200",
                        COHERE_V1_RESPONSE,
                        "application/json",
                        SYNC_ERRORS));
        DOCS.put(
                "POST /score",
                new Doc(SCORE_REQUEST, "200", SCORE_RESPONSE, "application/json", SYNC_ERRORS));
        DOCS.put(
                "POST /v1/score",
                new Doc(SCORE_REQUEST, "200", SCORE_RESPONSE, "application/json", SYNC_ERRORS));
        DOCS.put(
                "GET /v1/models",
                new Doc(null, "200", MODELS, "application/json", List.of("unauthorized")));
    }

    private static List<String> concat(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getPaths() == null) {
            return;
        }
        openAPI.getPaths()
                .getPathItems()
                .forEach(
                        (path, item) ->
                                item.getOperations()
                                        .forEach(
                                                (method, op) -> {
                                                    Doc doc = DOCS.get(method.name() + " " + path);
                                                    if (doc != null) {
                                                        document(path, method, op, doc);
                                                    }
                                                }));
    }

    private static void document(String path, PathItem.HttpMethod method, Operation op, Doc doc) {
        if (doc.request() != null && op.getRequestBody() != null) {
            Content content = op.getRequestBody().getContent();
            if (content == null) {
                content = OASFactory.createContent();
                op.getRequestBody().setContent(content);
            }
            MediaType json = mediaType(content, "application/json");
            json.addExample("request", OASFactory.createExample().value(parse(doc.request())));
            if (path.equals("/rerank")) {
                json.addExample(
                        "tei",
                        OASFactory.createExample()
                                .summary("TEI shape, recognised by \"texts\"")
                                .value(parse(TEI_REQUEST)));
            }
        }
        APIResponses responses = op.getResponses();
        if (responses == null) {
            responses = OASFactory.createAPIResponses();
            op.setResponses(responses);
        }
        if (!doc.status().equals("200")) {
            responses.removeAPIResponse(
                    "200"); // the scanner's guess; this endpoint answers doc.status()
        }
        APIResponse ok = response(responses, doc.status(), "Success");
        mediaType(ok.getContent(), doc.responseType())
                .addExample(
                        "response",
                        OASFactory.createExample()
                                .value(
                                        "application/json".equals(doc.responseType())
                                                ? parse(doc.response())
                                                : doc.response()));
        if (path.equals("/rerank")) {
            mediaType(ok.getContent(), doc.responseType())
                    .addExample(
                            "tei",
                            OASFactory.createExample()
                                    .summary("TEI shape")
                                    .value(parse(TEI_RESPONSE)));
        }
        for (String name : doc.errors()) {
            ApiException e = ERRORS.get(name);
            APIResponse r = response(responses, Integer.toString(e.status()), e.title());
            String instance = path.replace("{id}", path.contains("batches") ? BATCH_ID : JOB_ID);
            // the drop-in routes answer with each client family's fields beside the problem's
            // (DropInErrors)
            boolean dropIn = DropInErrors.isDropInRoute(instance);
            Object body =
                    JobCodec.mapper()
                            .convertValue(
                                    dropIn
                                            ? DropInErrors.anyFamily(e.problem(instance))
                                            : e.problem(instance),
                                    Object.class);
            mediaType(r.getContent(), dropIn ? "application/json" : PROBLEM)
                    .addExample(name, OASFactory.createExample().summary(e.title()).value(body));
        }
    }

    private static APIResponse response(APIResponses responses, String status, String description) {
        APIResponse r = responses.getAPIResponse(status);
        if (r == null) {
            r = OASFactory.createAPIResponse().description(description);
            responses.addAPIResponse(status, r);
        }
        if (r.getContent() == null) {
            r.setContent(OASFactory.createContent());
        }
        return r;
    }

    private static MediaType mediaType(Content content, String type) {
        MediaType m = content.getMediaType(type);
        if (m == null) {
            m = OASFactory.createMediaType();
            content.addMediaType(type, m);
        }
        return m;
    }

    private static Object parse(String json) {
        try {
            return JobCodec.mapper().readValue(json, Object.class);
        } catch (IOException e) {
            throw new IllegalStateException("bad example: " + json, e);
        }
    }
}
