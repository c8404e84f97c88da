package dev.rerankqueue.gateway.admission;

/**
 * The kind of route a job came in by: its tag on {@code rerank_jobs_accepted_total}, {@code
 * rerank_jobs_charged_tokens_total}, {@code rerank_jobs_replayed_total} and in the job log.
 */
public enum Endpoint {
    /** {@code POST /v1/rerank/jobs}. */
    JOBS("jobs"),
    /** A job of a bulk submission, JSON or JSON Lines. */
    BATCH("batch"),
    /** A synchronous drop-in route (Cohere, vLLM, Jina, TEI): it waits for the job's result. */
    SYNC("sync");

    private final String tag;

    Endpoint(String tag) {
        this.tag = tag;
    }

    /** The name in metrics and logs. */
    public String tag() {
        return tag;
    }
}
