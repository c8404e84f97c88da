package dev.rerankqueue.testing;

import dev.rerankqueue.job.Chunking;
import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.job.TruncationDirection;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Test jobs that read like prose: {@code aQueuedJob().forTenant("acme").withQuery("q")
 * .withDocuments("a", "b").inLane(Priority.BATCH).build()}. Anything not said is the API's default.
 */
public final class JobBuilder {

    private String tenant = "acme";
    private String query = "What is the capital of China?";
    private List<Document> documents = List.of(Document.of("The capital of China is Beijing."));
    private Integer topN;
    private Boolean returnDocuments;
    private String instruction;
    private Priority lane;
    private Long deadlineMs;
    private Boolean truncate;
    private Integer maxTokensPerDoc;
    private Map<String, String> metadata;
    private Integer truncatePromptTokens;
    private TruncationDirection truncationDirection;
    private Boolean rawScores;
    private Chunking chunking;
    private Long createdAt;

    private JobBuilder() {}

    /** A job as the gateway accepts it, now, for tenant {@code acme}. */
    public static JobBuilder aQueuedJob() {
        return new JobBuilder();
    }

    public JobBuilder forTenant(String tenant) {
        this.tenant = tenant;
        return this;
    }

    public JobBuilder withQuery(String query) {
        this.query = query;
        return this;
    }

    public JobBuilder withDocuments(String... texts) {
        return withDocuments(Arrays.asList(texts));
    }

    public JobBuilder withDocuments(List<String> texts) {
        this.documents = texts.stream().map(Document::of).toList();
        return this;
    }

    public JobBuilder keepingTop(int n) {
        this.topN = n;
        return this;
    }

    public JobBuilder returningDocuments(boolean yes) {
        this.returnDocuments = yes;
        return this;
    }

    public JobBuilder inLane(Priority lane) {
        this.lane = lane;
        return this;
    }

    public JobBuilder withDeadlineMs(long deadlineMs) {
        this.deadlineMs = deadlineMs;
        return this;
    }

    /** The task instruction the model is given with the query (Qwen3-Reranker's). */
    public JobBuilder withInstruction(String instruction) {
        this.instruction = instruction;
        return this;
    }

    /** The request's {@code truncate}: {@code null} for the API's default. */
    public JobBuilder truncating(Boolean truncate) {
        this.truncate = truncate;
        return this;
    }

    public JobBuilder notTruncated() {
        this.truncate = false;
        return this;
    }

    public JobBuilder withMaxTokensPerDoc(int tokens) {
        this.maxTokensPerDoc = tokens;
        return this;
    }

    /** vLLM's {@code truncate_prompt_tokens}. */
    public JobBuilder withPromptTokens(int tokens) {
        this.truncatePromptTokens = tokens;
        return this;
    }

    public JobBuilder cutFrom(TruncationDirection direction) {
        this.truncationDirection = direction;
        return this;
    }

    public JobBuilder chunked(Chunking chunks) {
        this.chunking = chunks;
        return this;
    }

    public JobBuilder withRawScores() {
        this.rawScores = true;
        return this;
    }

    public JobBuilder withMetadata(Map<String, String> metadata) {
        this.metadata = metadata;
        return this;
    }

    public JobBuilder createdAt(long epochMillis) {
        this.createdAt = epochMillis;
        return this;
    }

    public RerankRequest request() {
        return new RerankRequest(
                null,
                query,
                documents,
                topN,
                returnDocuments,
                instruction,
                lane,
                deadlineMs,
                truncate,
                maxTokensPerDoc,
                metadata,
                truncatePromptTokens,
                truncationDirection,
                rawScores,
                null,
                chunking);
    }

    public RerankJob build() {
        return RerankJob.accept(
                tenant, request(), createdAt == null ? System.currentTimeMillis() : createdAt);
    }
}
