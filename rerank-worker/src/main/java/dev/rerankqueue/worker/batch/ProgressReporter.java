package dev.rerankqueue.worker.batch;

import dev.rerankqueue.store.JobProgress;
import dev.rerankqueue.worker.scoring.MicroBatcher.ScoredPairs;
import dev.rerankqueue.worker.store.JobStateWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Counts the scored pairs of each job of a batch as scorer calls end, and writes the count of large
 * jobs to Redis ({@link JobProgress}) at most once per interval each. Best effort: a lost progress
 * write only means a missed {@code progress} event; the result write does not wait for it.
 */
final class ProgressReporter implements Consumer<ScoredPairs> {

    private static final Logger LOG = Logger.getLogger(ProgressReporter.class);

    private final List<String> ids;
    private final int[] total;

    /** Documents of each job: progress is reported in documents, whatever the chunks. */
    private final int[] documents;

    private final int[] jobOf;
    private final int[] scored;
    private final long[] lastWrite;
    private final int minPairs;
    private final long intervalNanos;
    private final JobStateWriter store;

    private ProgressReporter(
            List<String> ids,
            int[] total,
            int[] documents,
            int minPairs,
            Duration interval,
            JobStateWriter store) {
        this.ids = ids;
        this.total = total;
        this.documents = documents;
        this.minPairs = minPairs;
        this.intervalNanos = interval.toNanos();
        this.store = store;
        int pairs = 0;
        for (int n : total) {
            pairs += n;
        }
        this.jobOf = new int[pairs];
        for (int j = 0, at = 0; j < total.length; at += total[j], j++) {
            Arrays.fill(jobOf, at, at + total[j], j);
        }
        this.scored = new int[total.length];
        this.lastWrite = new long[total.length];
    }

    /**
     * A reporter for jobs {@code ids} whose pairs, {@code pairCounts[j]} each, lie one job after
     * the other in the scored list; one that reports nothing when none has {@code minPairs} pairs
     * (or reporting is off).
     */
    static Consumer<ScoredPairs> of(
            List<String> ids,
            int[] pairCounts,
            int[] documentCounts,
            int minPairs,
            Duration interval,
            JobStateWriter store) {
        if (minPairs <= 0) {
            return NONE;
        }
        for (int n : pairCounts) {
            if (n >= minPairs) {
                return new ProgressReporter(
                        ids, pairCounts, documentCounts, minPairs, interval, store);
            }
        }
        return NONE;
    }

    /** Reports nothing. */
    private static final Consumer<ScoredPairs> NONE = scored -> {};

    @Override
    public void accept(ScoredPairs done) {
        int[] pairIndices = done.inputs();
        List<JobProgress> writes = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            int last = -1;
            for (int i : pairIndices) {
                scored[jobOf[i]]++;
            }
            for (int i : pairIndices) {
                int j = jobOf[i];
                if (j == last) {
                    continue;
                }
                last = j;
                // the finished job's result event follows at once, so its last count is not written
                if (total[j] >= minPairs
                        && scored[j] < total[j]
                        && now - lastWrite[j] >= intervalNanos) {
                    lastWrite[j] = now;
                    writes.add(
                            new JobProgress(
                                    ids.get(j),
                                    (int) ((long) scored[j] * documents[j] / total[j])));
                }
            }
        }
        for (JobProgress p : writes) {
            store.progress(p)
                    .subscribe()
                    .with(
                            ignored -> {},
                            e ->
                                    LOG.debugf(
                                            "progress of job %s not written: %s",
                                            p.jobId(), e.toString()));
        }
    }
}
