package dev.rerankqueue.gateway.api;

import dev.rerankqueue.messaging.JobCodec;
import java.util.List;
import java.util.Map;

/**
 * The request and success bodies {@link OpenApiExamples} publishes for each endpoint, as a client
 * would send and receive them; the error bodies are built from the exceptions themselves there.
 */
final class OpenApiBodies {

    private OpenApiBodies() {}

    static final String JOB_ID = "0b6d3f9e-5c1a-4e8e-9d57-3a1f2c4b7e10";
    static final String BATCH_ID = "b-7f3c2a10d4e5";
    static final String PROBLEM = "application/problem+json";

    static final String JOB_REQUEST =
            """
            {"query": "What is the capital of China?",
             "documents": ["Gravity pulls objects together.", "The capital of China is Beijing.", "Pandas eat bamboo."],
             "top_n": 2, "return_documents": true, "priority": "interactive",
             "chunking": {"max_chunks": 8, "overlap_tokens": 32}, "metadata": {"customer": "acme-7"},
             "webhook": "https://hooks.example.com/rerank"}""";
    static final String ACCEPTED =
            JobCodec.toJson(
                    new AcceptedView(
                            JOB_ID,
                            "queued",
                            "2026-11-25T10:00:00Z",
                            new AcceptedView.Links(
                                    JobResource.PATH + "/" + JOB_ID,
                                    JobResource.PATH + "/" + JOB_ID + "/events")));
    static final String JOB_DONE =
            """
            {"id": "%s", "status": "succeeded", "model": "Qwen/Qwen3-Reranker-0.6B",
             "created_at": "2026-11-25T10:00:00Z", "started_at": "2026-11-25T10:00:00.009Z",
             "finished_at": "2026-11-25T10:00:00.180Z", "expires_at": "2026-11-26T10:00:00.180Z",
             "results": [{"index": 1, "relevance_score": 0.9981, "document": {"text": "The capital of China is Beijing."}},
                         {"index": 2, "relevance_score": 0.0012, "document": {"text": "Pandas eat bamboo."}}],
             "usage": {"pairs": 3, "tokens": 171, "truncated_documents": 0},
             "timings": {"queued_ms": 9, "scoring_ms": 152, "total_ms": 180}, "attempts": 1}"""
                    .formatted(JOB_ID);
    static final String JOB_RUNNING =
            """
            {"id": "%s", "status": "running", "model": "Qwen/Qwen3-Reranker-0.6B", "created_at": "2026-11-25T10:00:00Z",
             "timings": {"queued_ms": 40, "total_ms": 2210}, "attempts": 1,
             "progress": {"scored_pairs": 640, "total_pairs": 1000}}"""
                    .formatted(JOB_ID);
    static final String JOB_EVENTS =
            """
            event: status
            id: 1
            data: {"id":"%1$s","status":"queued",...}

            event: status
            id: 2
            data: {"id":"%1$s","status":"running",...}

            event: progress
            id: 2
            data: {"id":"%1$s","status":"running","progress":{"scored_pairs":640,"total_pairs":1000},...}

            event: result
            id: 3
            data: {"id":"%1$s","status":"succeeded","results":[...],...}
            """
                    .formatted(JOB_ID);
    static final String BULK_REQUEST =
            """
            {"jobs": [{"query": "capital of France?", "documents": ["Bread.", "Paris is the capital of France."]},
                      {"query": "capital of Japan?", "documents": ["Tokyo is the capital of Japan.", "Sushi."], "top_n": 1}]}""";
    static final String JOB_2 = "1c2d3e4f-0a1b-4c5d-8e9f-a0b1c2d3e4f5";
    static final String BULK_ACCEPTED =
            JobCodec.toJson(
                    new BatchSubmissionResource.AcceptedBatchView(
                            BATCH_ID,
                            "2026-11-25T10:00:00Z",
                            2,
                            0,
                            List.of(entry(0, JOB_ID), entry(1, JOB_2)),
                            BatchSubmissionResource.links(BATCH_ID)));
    static final String BATCH_STATUS =
            JobCodec.toJson(
                    new BatchSubmissionResource.BatchView(
                            BATCH_ID,
                            "2026-11-25T10:00:00Z",
                            2,
                            Map.of(
                                    "queued",
                                    0,
                                    "running",
                                    1,
                                    "succeeded",
                                    1,
                                    "failed",
                                    0,
                                    "expired",
                                    0,
                                    "cancelled",
                                    0),
                            1,
                            false,
                            Map.of("run", "nightly-2026-11-25"),
                            BatchSubmissionResource.links(BATCH_ID)));
    static final String BATCH_EVENTS =
            """
            event: result
            id: %s
            data: {"id":"%s","status":"succeeded","results":[...],...}

            event: result
            id: %s
            data: {"id":"%s","status":"succeeded","results":[...],...}

            event: batch
            data: %s
            """
                    .formatted(
                            JOB_2,
                            JOB_2,
                            JOB_ID,
                            JOB_ID,
                            BATCH_STATUS
                                    .replace("\"running\":1", "\"running\":0")
                                    .replace("\"succeeded\":1", "\"succeeded\":2")
                                    .replace("\"finished\":1", "\"finished\":2")
                                    .replace("false", "true"));

    static final String BATCH_RESULTS =
            """
            {"id":"%s","status":"succeeded","model":"Qwen/Qwen3-Reranker-0.6B","created_at":"2026-11-25T10:00:00Z",...,"results":[...]}
            {"id":"%s","status":"succeeded","model":"Qwen/Qwen3-Reranker-0.6B","created_at":"2026-11-25T10:00:00Z",...,"results":[...]}
            """
                    .formatted(JOB_ID, JOB_2);
    static final String COHERE_V1_REQUEST =
            """
            {"model": "rerank-english-v3.0", "query": "What is the capital of China?",
             "documents": ["Gravity pulls objects together.",
                           {"title": "Beijing", "text": "The capital of China is Beijing.", "url": "/wiki/Beijing"}],
             "rank_fields": ["title", "text"], "max_chunks_per_doc": 10, "top_n": 1, "return_documents": true}""";
    static final String COHERE_V1_RESPONSE =
            """
            {"id": "%s", "model": "Qwen/Qwen3-Reranker-0.6B",
             "results": [{"index": 1, "relevance_score": 0.9981,
                          "document": {"title": "Beijing", "text": "The capital of China is Beijing.", "url": "/wiki/Beijing"}}],
             "usage": {"total_tokens": 117}, "meta": {"billed_units": {"search_units": 1}}}"""
                    .formatted(JOB_ID);
    static final String COHERE_V2_REQUEST =
            """
            {"model": "rerank-v3.5", "query": "What is the capital of China?",
             "documents": ["Gravity pulls objects together.", "The capital of China is Beijing."], "top_n": 1,
             "max_tokens_per_doc": 4096}""";
    static final String COHERE_V2_RESPONSE =
            """
            {"id": "%s", "results": [{"index": 1, "relevance_score": 0.9981}],
             "meta": {"billed_units": {"search_units": 1}}}"""
                    .formatted(JOB_ID);
    static final String TEI_REQUEST =
            """
            {"query": "What is Deep Learning?", "texts": ["Deep Learning is not...", "Deep learning is..."],
             "raw_scores": false, "return_text": true, "truncation_direction": "Right"}""";
    static final String TEI_RESPONSE =
            """
            [{"index": 1, "score": 0.9976, "text": "Deep learning is..."},
             {"index": 0, "score": 0.0431, "text": "Deep Learning is not..."}]""";
    static final String SCORE_REQUEST =
            """
            {"model": "Qwen/Qwen3-Reranker-0.6B", "queries": "What is the capital of China?",
             "documents": ["Gravity pulls objects together.", "The capital of China is Beijing."],
             "truncate_prompt_tokens": 8192}""";
    static final String SCORE_RESPONSE =
            """
            {"id": "score-%s", "object": "list", "created": 1764064800, "model": "Qwen/Qwen3-Reranker-0.6B",
             "data": [{"index": 0, "object": "score", "score": 0.0009}, {"index": 1, "object": "score", "score": 0.9981}],
             "usage": {"prompt_tokens": 117, "total_tokens": 117, "completion_tokens": 0}}"""
                    .formatted(JOB_ID);
    static final String MODELS =
            """
            {"object": "list", "data": [{"id": "Qwen/Qwen3-Reranker-0.6B", "object": "model", "created": 1764064800,
             "owned_by": "rerank-queue"}]}""";

    /** Every error of the API, by name, with the status it comes with. */
    private static BatchSubmissionResource.JobEntry entry(int index, String id) {
        return new BatchSubmissionResource.JobEntry(
                index,
                id,
                new AcceptedView.Links(
                        JobResource.PATH + "/" + id, JobResource.PATH + "/" + id + "/events"),
                null);
    }
}
