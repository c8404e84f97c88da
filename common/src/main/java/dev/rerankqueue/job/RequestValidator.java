package dev.rerankqueue.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Checks a parsed request against the contract and the configured {@link RequestLimits}. */
public final class RequestValidator {

    private final RequestLimits limits;

    public RequestValidator(RequestLimits limits) {
        this.limits = limits;
    }

    public List<Violation> violations(RerankRequest r) {
        List<Violation> out = new ArrayList<>();
        if (r.query() == null) {
            out.add(new Violation("query", "is required"));
        } else if (r.query().isBlank()) {
            out.add(new Violation("query", "must not be empty"));
        } else if (r.query().length() > limits.maxQueryChars()) {
            out.add(
                    new Violation(
                            "query",
                            "has "
                                    + r.query().length()
                                    + " characters; the limit is "
                                    + limits.maxQueryChars()));
        }
        List<Document> docs = r.documents();
        if (docs == null) {
            out.add(
                    new Violation(
                            "documents",
                            "is required: a list of strings or {\"text\": ...} objects"));
        } else if (docs.isEmpty()) {
            out.add(new Violation("documents", "must hold at least one document"));
        } else if (docs.size() > limits.maxDocuments()) {
            out.add(tooManyDocuments(docs.size()));
        } else {
            for (int i = 0; i < docs.size(); i++) {
                Document d = docs.get(i);
                if (d == null || d.text() == null) {
                    out.add(
                            new Violation(
                                    "documents[" + i + "]",
                                    "must be a string or an object with a \"text\" string"));
                } else if (d.text().length() > limits.maxDocumentChars()) {
                    out.add(
                            new Violation(
                                    "documents[" + i + "]",
                                    "has "
                                            + d.text().length()
                                            + " characters; the limit is "
                                            + limits.maxDocumentChars()));
                }
                if (out.size() >= 10) {
                    break;
                }
            }
        }
        if (r.topN() != null && r.topN() < 0) {
            out.add(
                    new Violation(
                            "top_n", "must be 0 (all) or a positive number, got " + r.topN()));
        }
        if (r.deadlineMs() != null
                && (r.deadlineMs() < 1 || r.deadlineMs() > limits.maxDeadlineMs())) {
            out.add(
                    new Violation(
                            "deadline_ms",
                            "must be between 1 and "
                                    + limits.maxDeadlineMs()
                                    + ", got "
                                    + r.deadlineMs()));
        }
        if (r.metadata() != null) {
            checkMetadata(r.metadata(), out);
        }
        if (r.maxTokensPerDoc() != null && r.maxTokensPerDoc() < 1) {
            out.add(
                    new Violation(
                            "max_tokens_per_doc",
                            "must be at least 1, got " + r.maxTokensPerDoc()));
        }
        if (r.truncatePromptTokens() != null
                && r.truncatePromptTokens() < 1
                && r.truncatePromptTokens() != -1) {
            out.add(
                    new Violation(
                            "truncate_prompt_tokens",
                            "must be -1 (the model's context) or at least 1, got "
                                    + r.truncatePromptTokens()));
        }
        if (r.chunking() != null) {
            checkChunking(r, out);
        }
        if (out.isEmpty() && limits.maxJobTokens() < Long.MAX_VALUE) {
            JobCost cost = JobCost.of(r);
            if (cost.tokens() > limits.maxJobTokens()) {
                out.add(
                        new Violation(
                                r.chunking() == null ? "documents" : "chunking",
                                "would be charged "
                                        + cost.tokens()
                                        + " model tokens for "
                                        + cost.pairs()
                                        + " scored pairs; the limit is "
                                        + limits.maxJobTokens()
                                        + " per job (rerank.limits.max-job-tokens). A job is"
                                        + " charged each byte of its query, instruction and"
                                        + " document as a token, plus "
                                        + JobCost.PROMPT_TOKENS
                                        + " per pair, once per chunk: split it, or ask for"
                                        + " fewer or smaller chunks"));
            }
        }
        if (r.model() != null && r.model().length() > 256) {
            out.add(new Violation("model", "is longer than 256 characters"));
        }
        if (r.instruction() != null && r.instruction().length() > limits.maxQueryChars()) {
            out.add(
                    new Violation(
                            "instruction",
                            "has "
                                    + r.instruction().length()
                                    + " characters; the limit is "
                                    + limits.maxQueryChars()));
        }
        return out;
    }

    /** What is wrong with a job of {@code documents} documents, over the limit. */
    public Violation tooManyDocuments(int documents) {
        return new Violation(
                "documents",
                "has "
                        + documents
                        + " documents; the limit is "
                        + limits.maxDocuments()
                        + " per job (split the request, or use several jobs)");
    }

    private void checkChunking(RerankRequest r, List<Violation> out) {
        Chunking c = r.chunking();
        int docs = r.documents() == null ? 0 : r.documents().size();
        if (c.chunksAtMost() < 1) {
            out.add(new Violation("chunking.max_chunks", "must be at least 1"));
        } else if ((long) c.chunksAtMost() * docs > limits.maxDocuments()) {
            out.add(
                    new Violation(
                            "chunking.max_chunks",
                            "times the "
                                    + docs
                                    + " documents may be at most "
                                    + limits.maxDocuments()
                                    + " chunks in all (the documents limit), got "
                                    + (long) c.chunksAtMost() * docs));
        }
        if (c.tokens() != null && c.tokens() < 16) {
            out.add(new Violation("chunking.tokens", "must be at least 16, got " + c.tokens()));
        }
        if (c.overlap() < 0 || (c.tokens() != null && c.overlap() >= c.tokens())) {
            out.add(
                    new Violation(
                            "chunking.overlap_tokens",
                            "must be at least 0 and less than chunking.tokens, got "
                                    + c.overlap()));
        }
    }

    /**
     * Throws {@link InvalidRequestException} listing every violation, or returns the request
     * unchanged.
     */
    public RerankRequest check(RerankRequest r) {
        List<Violation> v = violations(r);
        if (!v.isEmpty()) {
            throw new InvalidRequestException(v);
        }
        return r;
    }

    /** What is wrong with a batch's (or a job's) {@code metadata}; empty when nothing. */
    public List<Violation> metadataViolations(Map<String, String> metadata) {
        List<Violation> out = new ArrayList<>();
        if (metadata != null) {
            checkMetadata(metadata, out);
        }
        return out;
    }

    private void checkMetadata(Map<String, String> metadata, List<Violation> out) {
        if (metadata.size() > limits.maxMetadataEntries()) {
            out.add(
                    new Violation(
                            "metadata",
                            "has "
                                    + metadata.size()
                                    + " entries; the limit is "
                                    + limits.maxMetadataEntries()
                                    + " (rerank.limits.max-metadata-entries)"));
            return;
        }
        metadata.forEach(
                (k, v) -> {
                    if (k.isEmpty() || k.length() > RequestLimits.MAX_METADATA_KEY_CHARS) {
                        out.add(
                                new Violation(
                                        "metadata",
                                        "key '"
                                                + k.substring(0, Math.min(k.length(), 20))
                                                + "…' must have 1 to "
                                                + RequestLimits.MAX_METADATA_KEY_CHARS
                                                + " characters"));
                    } else if (v == null || v.length() > limits.maxMetadataValueChars()) {
                        out.add(
                                new Violation(
                                        "metadata." + k,
                                        "must be a string of at most "
                                                + limits.maxMetadataValueChars()
                                                + " characters (rerank.limits.max-metadata-value-chars)"));
                    }
                });
    }
}
