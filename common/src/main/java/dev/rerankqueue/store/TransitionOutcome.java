package dev.rerankqueue.store;

import dev.rerankqueue.job.JobStatus;

import java.util.ArrayList;
import java.util.List;

/**
 * Reply of a {@link JobTransition}: applied (and the new version), or lost to a newer write (and what is there now).
 *
 * @param applied whether this write happened
 * @param version the version now stored (the new one when applied)
 * @param status  the status now stored; {@code null} when the job does not exist
 */
public record TransitionOutcome(boolean applied, long version, JobStatus status) {

    /** Decodes the script's {@code {applied, version, status}} reply, given as any client's list of replies. */
    public static TransitionOutcome fromReply(Iterable<?> replies) {
        List<String> reply = new ArrayList<>(3);
        replies.forEach(r -> reply.add(r == null ? null : r.toString()));
        boolean applied = "1".equals(reply.get(0));
        long version = Long.parseLong(reply.get(1));
        String status = reply.get(2);
        return new TransitionOutcome(applied, version, status == null || status.isEmpty() ? null : JobStatus.fromWire(status));
    }

    public boolean missing() {
        return status == null;
    }
}
