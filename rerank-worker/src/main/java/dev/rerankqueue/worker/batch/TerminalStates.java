package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.TransitionOutcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The terminal states one pass over a batch wrote, as the writes returned them: what goes to the
 * results topic, even if Redis loses them in between. A result is kept as the JSON the write
 * stored, never decoded and encoded again.
 */
final class TerminalStates {

    /**
     * One state as written: its fields but the result, and the result as the JSON stored in Redis
     * ({@code null} when the job has none).
     */
    record Written(JobState state, String resultJson) {

        /** The state as a results-topic record, the result's JSON copied in as it is. */
        byte[] encoded() {
            return JobCodec.encodeState(state, resultJson);
        }
    }

    private final Map<String, Written> written = new ConcurrentHashMap<>();

    /** Keeps the state the applied write {@code o} left for job {@code id}. */
    void add(String id, TransitionOutcome o) {
        Map<String, String> fields = o.written();
        String result = fields.get(JobFields.RESULT);
        if (result != null) {
            fields = new HashMap<>(fields);
            fields.remove(JobFields.RESULT);
        }
        written.put(id, new Written(JobFields.toState(id, fields), result));
    }

    /** The state this pass wrote for the job, or {@code null}. */
    Written of(String jobId) {
        return written.get(jobId);
    }

    /** Ids of the jobs this pass wrote a terminal state for. */
    List<String> ids() {
        return new ArrayList<>(written.keySet());
    }
}
