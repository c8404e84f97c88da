package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.Priority;
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
     * Scores one micro-batch of {@code lane}'s jobs. A model server that schedules by priority
     * serves interactive calls before batch ones it already queued; by default the lane is not
     * passed on.
     */
    default Uni<Scores> score(List<ScorePair> pairs, Priority lane) {
        return score(pairs);
    }

    /** Whether the scorer can take work (model loaded, server healthy). */
    boolean isReady();

    /**
     * {@code pair} with its document cut to about its first {@code maxTokens} tokens, for a
     * request's own limit ({@code max_tokens_per_doc}). By default about four characters a token; a
     * scorer with its tokenizer at hand cuts at a token boundary.
     */
    default ScorePair withDocumentTokens(ScorePair pair, int maxTokens) {
        return pair.withDocumentCutTo((int) Math.min(Integer.MAX_VALUE, 4L * maxTokens));
    }

    /** Calls worth keeping in flight at once when the configuration does not say. */
    default int preferredInFlight() {
        return 1;
    }
}
