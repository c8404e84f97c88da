package dev.rerankqueue.store;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reply of a {@link JobTransition}: applied (and the new version), or lost to a newer write (and
 * what is there now).
 *
 * @param applied whether this write happened
 * @param version the version now stored (the new one when applied)
 * @param status the status now stored; {@code null} when the job does not exist
 * @param written when applied, every field of the hash as this write left it (read in the same
 *     atomic script)
 */
public record TransitionOutcome(
        boolean applied, long version, JobStatus status, Map<String, String> written) {

    public TransitionOutcome(boolean applied, long version, JobStatus status) {
        this(applied, version, status, Map.of());
    }

    /** The state this write left, or {@code null} when it did not apply. */
    public JobState writtenState(String id) {
        return applied ? JobFields.toState(id, written) : null;
    }

    /**
     * Decodes the script's {@code {applied, version, status}} reply, given as any client's list of
     * replies.
     */
    public static TransitionOutcome fromReply(Iterable<?> replies) {
        List<String> reply = new ArrayList<>(3);
        replies.forEach(r -> reply.add(r == null ? null : r.toString()));
        boolean applied = "1".equals(reply.get(0));
        long version = Long.parseLong(reply.get(1));
        String status = reply.get(2);
        Map<String, String> written = new LinkedHashMap<>();
        for (int i = 3; i + 1 < reply.size(); i += 2) {
            written.put(reply.get(i), reply.get(i + 1));
        }
        return new TransitionOutcome(
                applied,
                version,
                status == null || status.isEmpty() ? null : JobStatus.fromWire(status),
                written);
    }

    /** This outcome with {@code fields} added to what the write left (fields the write set). */
    TransitionOutcome withFields(Map<String, String> fields) {
        if (fields.isEmpty()) {
            return this;
        }
        Map<String, String> all = new LinkedHashMap<>(written);
        all.putAll(fields);
        return new TransitionOutcome(applied, version, status, all);
    }

    public boolean missing() {
        return status == null;
    }
}
