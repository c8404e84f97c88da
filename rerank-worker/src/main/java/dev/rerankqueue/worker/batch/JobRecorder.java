package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.observability.JobLog;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.JobTransition;
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
 * failed with the scorer (and parked on the dead-letter topic for replay), the whole batch in one
 * call to Redis. Each write is a compare-and-set on the version the claim wrote, so a job cancelled
 * or taken over meanwhile keeps that state and this result is discarded.
 */
@ApplicationScoped
public class JobRecorder {

    private static final Logger LOG = Logger.getLogger(JobRecorder.class);

    private final JobStateWriter store;
    private final DeadLetters deadLetters;
    private final JobMetrics metrics;
    private final String workerId;
    private final Duration retention;

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
    }

    /**
     * Records every job of {@code pairs} from what the scorer returned ({@code scored}), or from
     * its {@code failure}, all in one call to Redis; a job that {@link JobDeadlines#missed missed}
     * its deadline is recorded as expired. The states written are added to {@code written}.
     */
    Uni<Void> recordAll(
            List<Claimed> jobs,
            BatchPairs pairs,
            JobDeadlines deadlines,
            MicroBatcher.Result scored,
            Throwable failure,
            String model,
            TerminalStates written) {
        long now = System.currentTimeMillis();
        List<JobTransition> writes = new ArrayList<>(jobs.size());
        List<Ending> endings = new ArrayList<>(jobs.size());
        for (int j = 0; j < jobs.size(); j++) {
            Claimed c = jobs.get(j);
            if (deadlines.missed(j)) {
                endings.add(
                        new Ending(
                                c,
                                JobStatus.EXPIRED,
                                0,
                                "deadline passed before scoring started",
                                false));
                writes.add(
                        JobStateChanges.expired(c.job(), now, retention)
                                .expectVersion(c.version()));
                continue;
            }
            String fault =
                    failure != null
                            ? "scoring failed: " + failure.getMessage()
                            : pairs.inputFault(j, scored);
            if (fault != null) {
                // a scorer failure also parks the job's record on the dead-letter topic for
                // replay; a job failed for its own input is not parked: it would fail the same way
                endings.add(new Ending(c, JobStatus.FAILED, 0, fault, failure != null));
                writes.add(JobStateChanges.failed(c.job(), c.version(), now, fault, retention));
            } else {
                JobResult result = pairs.resultOf(j, scored, model);
                endings.add(new Ending(c, JobStatus.SUCCEEDED, result.scoringMs(), null, false));
                writes.add(
                        JobStateChanges.succeeded(
                                c.job(),
                                c.version(),
                                workerId,
                                c.startedAt(),
                                now,
                                result,
                                retention));
            }
        }
        return store.applyAll(writes)
                .chain(
                        outcomes -> {
                            List<Uni<Void>> parked = new ArrayList<>();
                            for (int j = 0; j < endings.size(); j++) {
                                Ending e = endings.get(j);
                                TransitionOutcome o = outcomes.get(j);
                                report(e, o, written);
                                if (o.applied() && e.deadLetter()) {
                                    parked.add(
                                            deadLetters.park(e.job().queued().record(), e.error()));
                                }
                            }
                            return parked.isEmpty()
                                    ? Uni.createFrom().voidItem()
                                    : Uni.join().all(parked).andFailFast().replaceWithVoid();
                        });
    }

    /** How one job ended, before it is written. */
    private record Ending(
            Claimed job, JobStatus status, long scoringMs, String error, boolean deadLetter) {}

    private void report(Ending e, TransitionOutcome o, TerminalStates written) {
        Claimed c = e.job();
        if (!o.applied()) {
            // cancelled, or taken over by another worker, while we scored: our result is discarded
            LOG.debugf(
                    "job %s moved to %s while scoring; result of %s discarded",
                    c.job().id(), o.status(), workerId);
            return;
        }
        written.add(c.job().id(), o);
        long total = metrics.finished(c.job(), e.status());
        JobLog.finished(
                c.job(),
                workerId,
                e.status(),
                Math.max(0, c.startedAt() - c.job().createdAt()),
                e.scoringMs(),
                total,
                e.error());
    }
}
