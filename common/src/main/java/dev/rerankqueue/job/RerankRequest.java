package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * What a client asks for: score every document against the query, return them ordered by relevance.
 *
 * @param model model name the client asked for; {@code null} means the served default
 * @param query the search query
 * @param documents candidate documents, scored independently
 * @param topN how many results to return; {@code null} or 0 means all
 * @param returnDocuments whether results carry the document text
 * @param instruction task instruction for instruction-aware rerankers (Qwen3-Reranker); {@code
 *     null} means the model default
 * @param priority scheduling lane; {@code null} means {@link Priority#INTERACTIVE}
 * @param deadlineMs give up (status expired) if scoring has not started this many ms after
 *     acceptance
 * @param truncate whether a document longer than the model's context is cut to fit (counted in
 *     {@code usage.truncated_documents}); {@code false} fails the job instead. {@code null} means
 *     true
 * @param maxTokensPerDoc cut every document to about its first this many tokens before scoring
 *     (Cohere's {@code max_tokens_per_doc}); {@code null} means only the model's context limits it
 * @param metadata the client's own labels, echoed on the job's views (bounded by {@link
 *     RequestLimits})
 * @param truncatePromptTokens vLLM's {@code truncate_prompt_tokens}: each (query, document) prompt
 *     is cut to this many tokens by shortening the document; -1 or {@code null} means the model's
 *     context
 * @param truncationDirection which end of a document is cut (TEI's {@code truncation_direction});
 *     {@code null} means {@link TruncationDirection#RIGHT}, its end
 * @param rawScores report the model's raw score (before its final sigmoid, as TEI's {@code
 *     raw_scores}) rather than a probability; the order is the same
 * @param webhook URL the job's view is POSTed to, signed, once it ends; {@code null} for none
 * @param chunking score long documents in chunks, each document by its best chunk; {@code null}
 *     cuts them instead
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RerankRequest(
        String model,
        String query,
        List<Document> documents,
        @JsonProperty("top_n") Integer topN,
        @JsonProperty("return_documents") Boolean returnDocuments,
        String instruction,
        Priority priority,
        @JsonProperty("deadline_ms") Long deadlineMs,
        Boolean truncate,
        @JsonProperty("max_tokens_per_doc") Integer maxTokensPerDoc,
        Map<String, String> metadata,
        @JsonProperty("truncate_prompt_tokens") Integer truncatePromptTokens,
        @JsonProperty("truncation_direction") TruncationDirection truncationDirection,
        @JsonProperty("raw_scores") Boolean rawScores,
        String webhook,
        Chunking chunking) {

    @JsonCreator
    public RerankRequest {}

    /**
     * A request of {@code query} against {@code documents} with every option at its default; the
     * {@code with…} methods set the others.
     */
    public static RerankRequest of(String query, List<Document> documents) {
        return new RerankRequest(
                null, query, documents, null, null, null, null, null, null, null, null, null, null,
                null, null, null);
    }

    /** Whether over-long documents are cut to the model's context rather than failing the job. */
    public boolean truncates() {
        return !Boolean.FALSE.equals(truncate);
    }

    /**
     * Number of results the job returns: {@code top_n} clamped to the number of documents, all when
     * absent or 0.
     */
    public int resultCount() {
        int n = documents == null ? 0 : documents.size();
        return topN == null || topN == 0 ? n : Math.min(topN, n);
    }

    /** The prompt token limit asked for, or {@code null} for the model's context (also for -1). */
    public Integer promptTokenLimit() {
        return truncatePromptTokens == null || truncatePromptTokens < 1
                ? null
                : truncatePromptTokens;
    }

    /** Which end of a document is cut when it must be shortened. */
    public TruncationDirection cutFrom() {
        return truncationDirection == null ? TruncationDirection.RIGHT : truncationDirection;
    }

    public boolean wantsRawScores() {
        return Boolean.TRUE.equals(rawScores);
    }

    public boolean wantsDocuments() {
        return Boolean.TRUE.equals(returnDocuments);
    }

    /** This request, or a copy in {@code lane} when it names no priority. */
    public RerankRequest withDefaultPriority(Priority lane) {
        if (priority != null) {
            return this;
        }
        Copy c = new Copy(this);
        c.priority = lane;
        return c.build();
    }

    /**
     * This request, or a copy with {@code return_documents} set to {@code wanted} when it does not
     * say.
     */
    public RerankRequest withDefaultReturnDocuments(boolean wanted) {
        return returnDocuments != null ? this : withReturnDocuments(wanted);
    }

    /** This request with {@code return_documents} set to {@code wanted}. */
    public RerankRequest withReturnDocuments(boolean wanted) {
        Copy c = new Copy(this);
        c.returnDocuments = wanted;
        return c.build();
    }

    public RerankRequest withModel(String servedModel) {
        Copy c = new Copy(this);
        c.model = servedModel;
        return c.build();
    }

    /** This request with the drop-in truncation and score options of vLLM and TEI set. */
    public RerankRequest withModelOptions(
            Integer promptTokens, TruncationDirection direction, Boolean raw) {
        Copy c = new Copy(this);
        c.truncatePromptTokens = promptTokens;
        c.truncationDirection = direction;
        c.rawScores = raw;
        return c.build();
    }

    /** This request with long documents scored in chunks as {@code chunks} says. */
    public RerankRequest withChunking(Chunking chunks) {
        Copy c = new Copy(this);
        c.chunking = chunks;
        return c.build();
    }

    /** This request returning at most {@code n} results (0: all). */
    public RerankRequest withTopN(Integer n) {
        Copy c = new Copy(this);
        c.topN = n;
        return c.build();
    }

    /** This request scored with {@code text} as the model's instruction. */
    public RerankRequest withInstruction(String text) {
        Copy c = new Copy(this);
        c.instruction = text;
        return c.build();
    }

    /** This request in {@code lane}. */
    public RerankRequest withPriority(Priority lane) {
        Copy c = new Copy(this);
        c.priority = lane;
        return c.build();
    }

    /** This request given up if scoring has not started {@code ms} after acceptance. */
    public RerankRequest withDeadlineMs(Long ms) {
        Copy c = new Copy(this);
        c.deadlineMs = ms;
        return c.build();
    }

    /**
     * This request cutting over-long documents ({@code true}) or failing on them ({@code false});
     * {@code null}: the default, cut.
     */
    public RerankRequest withTruncate(Boolean cut) {
        Copy c = new Copy(this);
        c.truncate = cut;
        return c.build();
    }

    /** This request cutting every document to about its first {@code tokens} tokens. */
    public RerankRequest withMaxTokensPerDoc(Integer tokens) {
        Copy c = new Copy(this);
        c.maxTokensPerDoc = tokens;
        return c.build();
    }

    /** This request with its webhook set. */
    public RerankRequest withWebhook(String url) {
        Copy c = new Copy(this);
        c.webhook = url;
        return c.build();
    }

    /** A request's fields, to change some and build another. */
    private static final class Copy {
        String model;
        String query;
        List<Document> documents;
        Integer topN;
        Boolean returnDocuments;
        String instruction;
        Priority priority;
        Long deadlineMs;
        Boolean truncate;
        Integer maxTokensPerDoc;
        Map<String, String> metadata;
        Integer truncatePromptTokens;
        TruncationDirection truncationDirection;
        Boolean rawScores;
        String webhook;
        Chunking chunking;

        Copy(RerankRequest r) {
            model = r.model;
            query = r.query;
            documents = r.documents;
            topN = r.topN;
            returnDocuments = r.returnDocuments;
            instruction = r.instruction;
            priority = r.priority;
            deadlineMs = r.deadlineMs;
            truncate = r.truncate;
            maxTokensPerDoc = r.maxTokensPerDoc;
            metadata = r.metadata;
            truncatePromptTokens = r.truncatePromptTokens;
            truncationDirection = r.truncationDirection;
            rawScores = r.rawScores;
            webhook = r.webhook;
            chunking = r.chunking;
        }

        RerankRequest build() {
            return new RerankRequest(
                    model,
                    query,
                    documents,
                    topN,
                    returnDocuments,
                    instruction,
                    priority,
                    deadlineMs,
                    truncate,
                    maxTokensPerDoc,
                    metadata,
                    truncatePromptTokens,
                    truncationDirection,
                    rawScores,
                    webhook,
                    chunking);
        }
    }
}
