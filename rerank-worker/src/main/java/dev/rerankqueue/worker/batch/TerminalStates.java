package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.JobState;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The terminal states one pass over a batch wrote, as the writes returned them: what goes to the
 * results topic, even if Redis loses them in between.
 */
final class TerminalStates {

    private final Map<String, JobState> written = new ConcurrentHashMap<>();

    void add(JobState state) {
        written.put(state.id(), state);
    }

    /** The state this pass wrote for the job, or {@code null}. */
    JobState of(String jobId) {
        return written.get(jobId);
    }
}
