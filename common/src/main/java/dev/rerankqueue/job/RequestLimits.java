package dev.rerankqueue.job;

/**
 * Bounds on what one job may carry. Input over a bound is rejected, never truncated.
 *
 * @param maxDocuments     documents per job
 * @param maxQueryChars    characters in the query
 * @param maxDocumentChars characters in one document
 * @param maxDeadlineMs    the largest {@code deadline_ms} a client may ask for
 */
public record RequestLimits(int maxDocuments, int maxQueryChars, int maxDocumentChars, long maxDeadlineMs) {

    /** The documented defaults: 1,000 documents, 16 Ki query chars, 128 Ki chars per document, 24 h deadline. */
    public static final RequestLimits DEFAULTS = new RequestLimits(1_000, 16_384, 131_072, 86_400_000L);
}
