package dev.rerankqueue.worker.scoring;

/**
 * One (query, document) pair to score; equal pairs are scored once.
 *
 * @param instruction task instruction for instruction-aware models, or {@code null}
 */
public record ScorePair(String instruction, String query, String document) {

    /** A cheap token estimate (about four characters a token) used to pack batches before tokenizing. */
    public int estimatedTokens() {
        int chars = query.length() + document.length() + (instruction == null ? 0 : instruction.length());
        return chars / 4 + 8;
    }
}
