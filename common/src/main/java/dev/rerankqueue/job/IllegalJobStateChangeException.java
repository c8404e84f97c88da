package dev.rerankqueue.job;

/** A transition the {@link JobStatus} table does not allow, such as leaving a terminal state. */
public class IllegalJobStateChangeException extends IllegalStateException {

    private final JobStatus from;
    private final JobStatus to;

    public IllegalJobStateChangeException(JobStatus from, JobStatus to) {
        super("job cannot move from " + from.wireName() + " to " + to.wireName());
        this.from = from;
        this.to = to;
    }

    public JobStatus from() {
        return from;
    }

    public JobStatus to() {
        return to;
    }
}
