package dev.rerankqueue.job;

/**
 * Bounds on what one job may carry. Input over a bound is rejected, never truncated.
 *
 * @param maxDocuments documents per job
 * @param maxQueryChars characters in the query
 * @param maxDocumentChars characters in one document
 * @param maxDeadlineMs the largest {@code deadline_ms} a client may ask for
 * @param maxJobTokens the most model tokens one job may be charged ({@link JobCost#tokens()}): what
 *     chunking, a long query repeated over many documents and overlapping chunks multiply
 */
public record RequestLimits(
        int maxDocuments,
        int maxQueryChars,
        int maxDocumentChars,
        long maxDeadlineMs,
        int maxMetadataEntries,
        int maxMetadataValueChars,
        long maxJobTokens) {

    /** Default tokens one job may be charged ({@code rerank.limits.max-job-tokens}). */
    public static final long DEFAULT_JOB_TOKENS = 20_000_000L;

    /** Limits with the default charge per job. */
    public RequestLimits(
            int maxDocuments,
            int maxQueryChars,
            int maxDocumentChars,
            long maxDeadlineMs,
            int maxMetadataEntries,
            int maxMetadataValueChars) {
        this(
                maxDocuments,
                maxQueryChars,
                maxDocumentChars,
                maxDeadlineMs,
                maxMetadataEntries,
                maxMetadataValueChars,
                DEFAULT_JOB_TOKENS);
    }

    /** Characters of a metadata key: an identifier, not a quota. */
    public static final int MAX_METADATA_KEY_CHARS = 64;

    /** Default entries of a job's metadata ({@code rerank.limits.max-metadata-entries}). */
    public static final int DEFAULT_METADATA_ENTRIES = 16;

    /**
     * Default characters of one metadata value ({@code rerank.limits.max-metadata-value-chars}).
     */
    public static final int DEFAULT_METADATA_VALUE_CHARS = 512;

    /**
     * The documented defaults: 10,000 documents, 16 Ki query chars, 128 Ki chars per document, 24 h
     * deadline, 16 metadata entries of up to 512 characters.
     */
    public static final RequestLimits DEFAULTS =
            new RequestLimits(
                    10_000,
                    16_384,
                    131_072,
                    86_400_000L,
                    DEFAULT_METADATA_ENTRIES,
                    DEFAULT_METADATA_VALUE_CHARS);

    /** Limits with the default metadata bounds. */
    public RequestLimits(
            int maxDocuments, int maxQueryChars, int maxDocumentChars, long maxDeadlineMs) {
        this(
                maxDocuments,
                maxQueryChars,
                maxDocumentChars,
                maxDeadlineMs,
                DEFAULT_METADATA_ENTRIES,
                DEFAULT_METADATA_VALUE_CHARS);
    }
}
