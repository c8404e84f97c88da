package dev.rerankqueue.worker.batch;

import dev.rerankqueue.worker.batch.JobClaimer.Claimed;
import java.util.List;

/**
 * The deadlines of claimed jobs while their pairs wait for scorer slots. A job whose deadline
 * passes before any of its pairs was sent is never sent ({@link #sendNow} answers false for each of
 * its pairs) and is recorded as expired; once one of its pairs went to the model server, the job is
 * scored to the end. Deadlines also order a tenant's calls ({@link #deadlineOf}).
 */
final class JobDeadlines {

    private final BatchPairs pairs;
    private final long[] deadlines;
    private final boolean[] started;
    private final boolean[] missed;

    JobDeadlines(List<Claimed> jobs, BatchPairs pairs) {
        this.pairs = pairs;
        this.deadlines = new long[jobs.size()];
        for (int j = 0; j < jobs.size(); j++) {
            deadlines[j] = jobs.get(j).job().deadline();
        }
        this.started = new boolean[jobs.size()];
        this.missed = new boolean[jobs.size()];
    }

    /** The deadline (epoch ms) of the job of input pair {@code pair}. */
    long deadlineOf(int pair) {
        return deadlines[pairs.jobIndexOf(pair)];
    }

    /**
     * Asked when a call holding input pair {@code pair} got its slot: whether the pair is sent. The
     * first pair of a job sent marks the job started; a job not started by its deadline has missed
     * it, and none of its pairs is sent afterwards.
     */
    synchronized boolean sendNow(int pair) {
        int j = pairs.jobIndexOf(pair);
        if (started[j]) {
            return true;
        }
        if (missed[j] || System.currentTimeMillis() > deadlines[j]) {
            missed[j] = true;
            return false;
        }
        started[j] = true;
        return true;
    }

    /** Whether job {@code j} missed its deadline waiting for the scorer (none of it was sent). */
    synchronized boolean missed(int j) {
        return missed[j];
    }
}
