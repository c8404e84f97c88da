package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.TruncationDirection;
import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * Scores (query, document) pairs. Implementations: the embedded ONNX model; an HTTP model server
 * (vLLM) fits the same shape, as does any cross-encoder, since a call carries whole pairs from any
 * number of jobs.
 */
public interface Scorer {

    /** Model name reported with the results. */
    String model();

    /**
     * Scores one micro-batch; the result is aligned with {@code pairs}. Must not block the caller.
     */
    Uni<Scores> score(List<ScorePair> pairs);

    /**
     * Scores one micro-batch of the call {@code request}. A model server that schedules by priority
     * serves interactive calls before batch ones it already queued, and a lane's calls of
     * overflowed jobs after its others; by default the request is not passed on.
     */
    default Uni<Scores> score(List<ScorePair> pairs, SlotRequest request) {
        return score(pairs);
    }

    /** Whether the scorer can take work (model loaded, server healthy). */
    boolean isReady();

    /**
     * {@code pair} with its document cut to about {@code maxTokens} tokens, its first ones ({@link
     * TruncationDirection#RIGHT}) or its last ones ({@link TruncationDirection#LEFT}), for a
     * request's own limits ({@code max_tokens_per_doc}, {@code truncate_prompt_tokens}, {@code
     * truncation_direction}). By default about four characters a token; a scorer with its tokenizer
     * at hand cuts at a token boundary.
     */
    default ScorePair withDocumentTokens(ScorePair pair, int maxTokens, TruncationDirection from) {
        return pair.withDocumentChars((int) Math.min(Integer.MAX_VALUE, 4L * maxTokens), from);
    }

    /**
     * The document of {@code pair} split into chunks of about {@code tokens} tokens, each repeating
     * the last {@code overlap} tokens of the one before, in order; one chunk when it is that short.
     * By default about four characters a token; a scorer with its tokenizer at hand splits at token
     * boundaries.
     */
    default List<String> chunks(ScorePair pair, int tokens, int overlap) {
        return ScorePair.chunksOfChars(pair.document(), 4 * tokens, 4 * overlap);
    }

    /**
     * Tokens the model reads in one pair's prompt besides its document (template, instruction,
     * query); by default about four characters a token.
     */
    default int tokensBesideDocument(ScorePair pair) {
        return pair.promptCharsBesideDocument() / 4 + 8;
    }

    /** The most tokens one prompt may have, or {@link Integer#MAX_VALUE} when not known. */
    default int contextTokens() {
        return Integer.MAX_VALUE;
    }

    /**
     * {@code score} as the model computed it before its final activation (TEI's {@code
     * raw_scores}); by default the score itself, for a model without one.
     */
    default double rawScore(double score) {
        return score;
    }

    /** Calls worth keeping in flight at once when the configuration does not say. */
    default int preferredInFlight() {
        return 1;
    }
}
