package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where a rerank job is in its life; the single transition table below is the only authority on
 * which moves are legal.
 */
public enum JobStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    EXPIRED;

    private static final Map<JobStatus, Set<JobStatus>> NEXT = new EnumMap<>(JobStatus.class);

    static {
        NEXT.put(QUEUED, EnumSet.of(RUNNING, CANCELLED, EXPIRED));
        // RUNNING -> QUEUED is the retry path only (worker crash, scorer fault); RUNNING -> EXPIRED
        // a job claimed whose deadline passed while it waited for the scorer, none of it sent.
        NEXT.put(RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED, QUEUED, EXPIRED));
        for (JobStatus terminal : EnumSet.of(SUCCEEDED, FAILED, CANCELLED, EXPIRED)) {
            NEXT.put(terminal, EnumSet.noneOf(JobStatus.class));
        }
    }

    /** The lower-case name used in JSON, Redis and events. */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static JobStatus fromWire(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    public boolean isTerminal() {
        return NEXT.get(this).isEmpty();
    }

    public boolean canMoveTo(JobStatus next) {
        return NEXT.get(this).contains(next);
    }

    /**
     * Statuses that may move to {@code this}; what a compare-and-set write must find before it
     * applies.
     */
    public Set<JobStatus> sources() {
        EnumSet<JobStatus> sources = EnumSet.noneOf(JobStatus.class);
        NEXT.forEach(
                (from, targets) -> {
                    if (targets.contains(this)) {
                        sources.add(from);
                    }
                });
        return Collections.unmodifiableSet(sources);
    }

    /** Throws unless the table allows {@code this -> next}. */
    public void checkMoveTo(JobStatus next) {
        if (!canMoveTo(next)) {
            throw new IllegalJobStateChangeException(this, next);
        }
    }
}
