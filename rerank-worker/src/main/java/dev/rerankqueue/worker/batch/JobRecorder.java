package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.observability.JobLog;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.TransitionOutcome;
import dev.rerankqueue.worker.batch.JobClaimer.Claimed;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.config.WorkerId;
import dev.rerankqueue.worker.scoring.MicroBatcher;
import dev.rerankqueue.worker.store.JobStateWriter;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Records how each scored job ended: succeeded with its ranked result, failed for its own input, or
 * failed with the scorer (and parked on the dead-letter topic for replay). Each write is a
 * compare-and-set on the version the claim wrote, so a job cancelled or taken over meanwhile keeps
 * that state and this result is discarded.
 */
@ApplicationScoped
public class JobRecorder {

    private static final Logger LOG = Logger.getLogger(JobRecorder.class);

    private final JobStateWriter store;
    private final DeadLetters deadLetters;
    private final JobMetrics metrics;
    private final String workerId;
    private final Duration retention;
    private final Duration writeRetryBudget;

    public JobRecorder(
            JobStateWriter store,
            DeadLetters deadLetters,
            JobMetrics metrics,
            WorkerConfig config) {
        this.store = store;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.workerId = WorkerId.of(config);
        this.retention = config.results().retention();
        this.writeRetryBudget = config.results().writeRetryBudget();
    }

    /**
     * Records every job of {@code pairs} from what the scorer returned ({@code scored}), or from
     * its {@code failure}; the states written are added to {@code written}.
     */
    Uni<Void> recordAll(
            List<Claimed> jobs,
            BatchPairs pairs,
            MicroBatcher.Result scored,
            Throwable failure,
            String model,
            TerminalStates written) {
        long now = System.currentTimeMillis();
        List<Uni<Void>> writes = new ArrayList<>(jobs.size());
        for (int j = 0; j < jobs.size(); j++) {
            Claimed c = jobs.get(j);
            if (failure != null) {
                writes.add(
                        failed(c, "scoring failed: " + failure.getMessage(), true, now, written));
                continue;
            }
            String fault = pairs.inputFault(j, scored);
            writes.add(
                    fault != null
                            ? failed(c, fault, false, now, written)
                            : succeeded(c, pairs.resultOf(j, scored, model), now, written));
        }
        return WriteRetries.within(writeRetryBudget, Uni.join().all(writes).andFailFast())
                .replaceWithVoid();
    }

    private Uni<Void> succeeded(Claimed c, JobResult result, long now, TerminalStates written) {
        return store.apply(
                        JobStateChanges.succeeded(
                                c.job(),
                                c.version(),
                                workerId,
                                c.startedAt(),
                                now,
                                result,
                                retention))
                .invoke(o -> report(c, o, JobStatus.SUCCEEDED, written, result.scoringMs(), null))
                .replaceWithVoid();
    }

    /**
     * A scorer failure also parks the job's record on the dead-letter topic for replay; a job
     * failed for its own input is not parked: replaying it would fail the same way.
     */
    private Uni<Void> failed(
            Claimed c, String reason, boolean deadLetter, long now, TerminalStates written) {
        return store.apply(JobStateChanges.failed(c.job(), c.version(), now, reason, retention))
                .invoke(o -> report(c, o, JobStatus.FAILED, written, 0, reason))
                .chain(
                        o ->
                                o.applied() && deadLetter
                                        ? deadLetters.park(c.queued().record(), reason)
                                        : Uni.createFrom().voidItem());
    }

    private void report(
            Claimed c,
            TransitionOutcome o,
            JobStatus status,
            TerminalStates written,
            long scoringMs,
            String error) {
        if (!o.applied()) {
            // cancelled, or taken over by another worker, while we scored: our result is discarded
            LOG.debugf(
                    "job %s moved to %s while scoring; result of %s discarded",
                    c.job().id(), o.status(), workerId);
            return;
        }
        written.add(o.writtenState(c.job().id()));
        long total = metrics.finished(c.job(), status);
        JobLog.finished(
                c.job(),
                workerId,
                status,
                Math.max(0, c.startedAt() - c.job().createdAt()),
                scoringMs,
                total,
                error);
    }
}
