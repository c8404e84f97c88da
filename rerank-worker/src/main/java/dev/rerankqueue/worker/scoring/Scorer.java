package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.Priority;
import io.smallrye.mutiny.Uni;

import java.util.List;

/**
 * Scores (query, document) pairs. Implementations: the embedded ONNX model; an HTTP model server (vLLM) fits the
 * same shape, as does any cross-encoder, since a call carries whole pairs from any number of jobs.
 */
public interface Scorer {

    /** Model name reported with the results. */
    String model();

    /** Scores one micro-batch; the result is aligned with {@code pairs}. Must not block the caller. */
    Uni<Scores> score(List<ScorePair> pairs);

    /**
     * Scores one micro-batch of {@code lane}'s jobs. A model server that schedules by priority serves interactive
     * calls before batch ones it already queued; by default the lane is not passed on.
     */
    default Uni<Scores> score(List<ScorePair> pairs, Priority lane) {
        return score(pairs);
    }

    /** Whether the scorer can take work (model loaded, server healthy). */
    boolean isReady();

    /** Calls worth keeping in flight at once when the configuration does not say. */
    default int preferredInFlight() {
        return 1;
    }
}
