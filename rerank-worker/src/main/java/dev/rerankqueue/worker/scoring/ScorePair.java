package dev.rerankqueue.worker.scoring;

/**
 * One (query, document) pair to score; equal pairs are scored once.
 *
 * @param tenant whose pair it is: scores are remembered per tenant, so one tenant never learns from
 *     a cache hit what another tenant scored; {@code null} for a pair of no tenant
 * @param instruction task instruction for instruction-aware models, or {@code null}
 */
public record ScorePair(String tenant, String instruction, String query, String document) {

    /** A pair of no tenant. */
    public ScorePair(String instruction, String query, String document) {
        this(null, instruction, query, document);
    }

    /**
     * A cheap token estimate (about four characters a token) used to pack batches before
     * tokenizing.
     */
    public int estimatedTokens() {
        int chars =
                query.length()
                        + document.length()
                        + (instruction == null ? 0 : instruction.length());
        return chars / 4 + 8;
    }

    /**
     * This pair with its document cut to its first {@code chars} characters (not splitting a
     * surrogate pair).
     */
    public ScorePair withDocumentCutTo(int chars) {
        if (chars >= document.length()) {
            return this;
        }
        int end = Math.max(0, chars);
        if (end > 0 && Character.isHighSurrogate(document.charAt(end - 1))) {
            end--;
        }
        return new ScorePair(tenant, instruction, query, document.substring(0, end));
    }
}
