package dev.rerankqueue.worker.scoring;

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

    /** Whether the scorer can take work (model loaded, server healthy). */
    boolean isReady();

    /** Calls worth keeping in flight at once when the configuration does not say. */
    default int preferredInFlight() {
        return 1;
    }
}
