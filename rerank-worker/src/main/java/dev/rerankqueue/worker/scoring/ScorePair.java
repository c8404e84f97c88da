package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.TruncationDirection;
import java.util.ArrayList;
import java.util.List;

/**
 * One (query, document) pair to score; equal pairs are scored once.
 *
 * @param tenant whose pair it is: scores are remembered per tenant, so one tenant never learns from
 *     a cache hit what another tenant scored; {@code null} for a pair of no tenant
 * @param instruction task instruction for instruction-aware models, or {@code null}
 * @param cutFrom which end of the document a scorer cuts when the pair is longer than the model's
 *     context (the request's {@code truncation_direction}); not part of what is scored
 */
public record ScorePair(
        String tenant,
        String instruction,
        String query,
        String document,
        TruncationDirection cutFrom) {

    /** A pair cut at its document's end when it must be cut. */
    public ScorePair(String tenant, String instruction, String query, String document) {
        this(tenant, instruction, query, document, TruncationDirection.RIGHT);
    }

    /** A pair of no tenant. */
    public ScorePair(String instruction, String query, String document) {
        this(null, instruction, query, document);
    }

    /** This pair with {@code text} as its document (a chunk of it). */
    public ScorePair withDocument(String text) {
        return new ScorePair(tenant, instruction, query, text, cutFrom);
    }

    /**
     * {@code text} split into pieces of {@code size} characters, each starting {@code size -
     * overlap} after the one before (never splitting a surrogate pair).
     */
    public static List<String> chunksOfChars(String text, int size, int overlap) {
        List<String> out = new ArrayList<>();
        int step = Math.max(1, size - overlap);
        for (int start = 0; ; start += step) {
            if (start > 0 && Character.isLowSurrogate(text.charAt(start))) {
                start++;
            }
            int end = Math.min(text.length(), start + size);
            if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
                end--;
            }
            out.add(text.substring(start, end));
            if (end >= text.length()) {
                return out;
            }
        }
    }

    /**
     * This pair with its document cut to {@code chars} characters from the end it names ({@link
     * #cutFrom}).
     */
    public ScorePair withDocumentChars(int chars) {
        return withDocumentChars(chars, cutFrom);
    }

    /**
     * A cheap token estimate (about four characters a token) used to pack batches before
     * tokenizing.
     */
    public int estimatedTokens() {
        return (promptCharsBesideDocument() + document.length()) / 4 + 8;
    }

    /** Characters of the query and the instruction. */
    public int promptCharsBesideDocument() {
        return query.length() + (instruction == null ? 0 : instruction.length());
    }

    /**
     * This pair with its document cut to {@code chars} characters: its first ones ({@link
     * TruncationDirection#RIGHT}) or its last ones ({@link TruncationDirection#LEFT}), never
     * splitting a surrogate pair.
     */
    public ScorePair withDocumentChars(int chars, TruncationDirection from) {
        if (chars >= document.length()) {
            return this;
        }
        if (from == TruncationDirection.LEFT) {
            int start = document.length() - Math.max(0, chars);
            if (start < document.length() && Character.isLowSurrogate(document.charAt(start))) {
                start++;
            }
            return new ScorePair(tenant, instruction, query, document.substring(start), cutFrom);
        }
        int end = Math.max(0, chars);
        if (end > 0 && Character.isHighSurrogate(document.charAt(end - 1))) {
            end--;
        }
        return new ScorePair(tenant, instruction, query, document.substring(0, end), cutFrom);
    }
}
