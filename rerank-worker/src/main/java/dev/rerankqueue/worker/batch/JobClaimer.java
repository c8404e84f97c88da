package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.observability.JobLog;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.TransitionOutcome;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.config.WorkerId;
import dev.rerankqueue.worker.store.JobStateWriter;
import dev.rerankqueue.worker.store.WorkerHeartbeat;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Where a job is claimed: each job of a batch moves from queued to running on this worker (or to
 * expired, past its deadline), by a compare-and-set write in Redis. A job some other worker already
 * finished or cancelled is not ours to score. One found running is another worker's that lost its
 * partition: while that worker is alive ({@link WorkerHeartbeat}) its result is waited for, up to
 * {@code rerank.worker.take-over-wait}, rather than the job scored twice; a dead owner's job (or
 * one past the wait) is taken over through the retry edge, so that its first worker, if still
 * alive, can no longer write a result.
 */
@ApplicationScoped
public class JobClaimer {

    private static final Logger LOG = Logger.getLogger(JobClaimer.class);

    /**
     * A job this worker now runs: scoring started at {@code startedAt} with state {@code version};
     * {@code takenOver} when another worker was running it (it may have checkpointed scores).
     */
    record Claimed(QueuedJob queued, long version, long startedAt, boolean takenOver) {

        RerankJob job() {
            return queued.job();
        }
    }

    /** How often a job running on a live worker is looked at again. */
    private static final Duration OWNER_POLL = Duration.ofMillis(200);

    private final JobStateWriter store;
    private final JobMetrics metrics;
    private final WorkerHeartbeat owners;
    private final String workerId;
    private final Duration retention;
    private final Duration takeOverWait;

    public JobClaimer(
            JobStateWriter store, JobMetrics metrics, WorkerHeartbeat owners, WorkerConfig config) {
        this.store = store;
        this.metrics = metrics;
        this.owners = owners;
        this.workerId = WorkerId.of(config);
        this.retention = config.results().retention();
        this.takeOverWait = config.takeOverWait();
    }

    /**
     * Claims every job at {@code now}, all in one call to Redis; completes with those to score.
     * Jobs expired on the way are in {@code written}.
     */
    Uni<List<Claimed>> claimAll(List<QueuedJob> jobs, long now, TerminalStates written) {
        List<JobTransition> changes = new ArrayList<>(jobs.size());
        for (QueuedJob queued : jobs) {
            RerankJob job = queued.job();
            changes.add(
                    now > job.deadline()
                            ? JobStateChanges.expired(job, now, retention)
                            : JobStateChanges.startProcessing(job, workerId, now, retention));
        }
        boolean[] takenOver = new boolean[jobs.size()];
        return writeAll(jobs, changes, takenOver)
                .map(
                        outcomes -> {
                            List<Claimed> claimed = new ArrayList<>(jobs.size());
                            for (int i = 0; i < jobs.size(); i++) {
                                QueuedJob queued = jobs.get(i);
                                TransitionOutcome o = outcomes.get(i);
                                if (now > queued.job().deadline()) {
                                    expired(queued.job(), o, now, written);
                                } else if (o.applied()) {
                                    metrics.scoringStarted(queued.job(), now);
                                    claimed.add(
                                            new Claimed(queued, o.version(), now, takenOver[i]));
                                } else {
                                    LOG.debugf(
                                            "job %s is %s already; not scoring it again",
                                            queued.id(), o.status());
                                }
                            }
                            return claimed;
                        });
    }

    /** Past its deadline before scoring started: expired, and recorded as finished. */
    private void expired(RerankJob job, TransitionOutcome o, long now, TerminalStates written) {
        if (!o.applied()) {
            LOG.debugf("job %s is %s already; not expiring it", job.id(), o.status());
            return;
        }
        written.add(job.id(), o);
        metrics.expired(job);
        long waited = Math.max(0, now - job.createdAt());
        JobLog.finished(
                job,
                workerId,
                JobStatus.EXPIRED,
                waited,
                0,
                waited,
                "deadline passed before scoring started");
    }

    /**
     * Writes every change in one call. A job found running was redelivered: the worker that held it
     * died or lost the partition ({@link #runningElsewhere}). Any other status is left as it is.
     */
    private Uni<List<TransitionOutcome>> writeAll(
            List<QueuedJob> jobs, List<JobTransition> changes, boolean[] takenOver) {
        return store.applyAll(changes)
                .chain(
                        found -> {
                            long waitUntil = System.nanoTime() + takeOverWait.toNanos();
                            List<Uni<TransitionOutcome>> outcomes = new ArrayList<>(found.size());
                            for (int i = 0; i < found.size(); i++) {
                                TransitionOutcome o = found.get(i);
                                outcomes.add(
                                        stillRunning(o)
                                                ? runningElsewhere(
                                                        jobs.get(i).job(),
                                                        changes.get(i),
                                                        takenOver,
                                                        i,
                                                        waitUntil)
                                                : Uni.createFrom().item(o));
                            }
                            return Uni.join().all(outcomes).andFailFast();
                        });
    }

    /**
     * A job found running on another worker. While that worker is alive and {@code waitUntil}
     * (nanoTime) has not come, its result is waited for: the job is looked at again every {@link
     * #OWNER_POLL}, and once it has ended the claim is refused as for any finished job (nothing
     * scored twice). A dead owner's job, or one still running at {@code waitUntil}, is taken over
     * through the retry edge (back to queued at the version found, then the claim at the new
     * version), so a slow original can no longer write its result; marked in {@code takenOver}.
     */
    private Uni<TransitionOutcome> runningElsewhere(
            RerankJob job, JobTransition change, boolean[] takenOver, int at, long waitUntil) {
        Supplier<Uni<TransitionOutcome>> again =
                () -> runningElsewhere(job, change, takenOver, at, waitUntil);
        return store.find(job.id())
                .chain(
                        state -> {
                            if (state == null || state.status() != JobStatus.RUNNING) {
                                // ended meanwhile (the claim is refused, as for any finished job)
                                // or queued again (claimed now)
                                return store.apply(change)
                                        .chain(
                                                o ->
                                                        stillRunning(o)
                                                                ? again.get()
                                                                : Uni.createFrom().item(o));
                            }
                            return ownerAlive(state, waitUntil)
                                    .chain(
                                            alive -> {
                                                if (alive) {
                                                    return pause().chain(() -> again.get());
                                                }
                                                takenOver[at] = true;
                                                return takeOver(job, state.version(), change);
                                            });
                        });
    }

    private static boolean stillRunning(TransitionOutcome o) {
        return !o.applied() && o.status() == JobStatus.RUNNING;
    }

    /** Whether the worker running {@code state} is alive and worth waiting for still. */
    private Uni<Boolean> ownerAlive(JobState state, long waitUntil) {
        return System.nanoTime() < waitUntil
                ? owners.holds(state.worker(), state.startedAt())
                : Uni.createFrom().item(false);
    }

    private static Uni<Void> pause() {
        return Uni.createFrom().voidItem().onItem().delayIt().by(OWNER_POLL);
    }

    private Uni<TransitionOutcome> takeOver(
            RerankJob job, long runningVersion, JobTransition change) {
        return store.apply(JobStateChanges.requeuedForTakeOver(job, runningVersion, retention))
                .chain(
                        queued ->
                                queued.applied()
                                        ? store.apply(change.expectVersion(queued.version()))
                                        : Uni.createFrom().item(queued));
    }
}
