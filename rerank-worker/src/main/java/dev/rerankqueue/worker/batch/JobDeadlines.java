package dev.rerankqueue.worker.batch;

import dev.rerankqueue.worker.batch.JobClaimer.Claimed;
import java.util.List;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;

/**
 * The deadlines of claimed jobs while their pairs wait for scorer slots. A job that could no longer
 * be scored by its deadline when its first pair gets a slot (now plus the scorer's recent call time
 * is past it) is never sent ({@link #sendNow} answers false for each of its pairs) and is recorded
 * as expired: model time spent on it would give a result after its caller stopped waiting. Once one
 * of its pairs went to the model server, the job is scored to the end. Deadlines also order a
 * tenant's calls ({@link #deadlineOf}).
 */
final class JobDeadlines {

    private final long[] deadlines;
    private final IntUnaryOperator jobOfPair;
    private final LongSupplier callMillis;
    private final boolean[] started;
    private final boolean[] missed;

    /**
     * @param deadlines each job's deadline, epoch ms
     * @param jobOfPair the job index of an input pair
     * @param callMillis how long a scorer call takes now, ms
     */
    JobDeadlines(long[] deadlines, IntUnaryOperator jobOfPair, LongSupplier callMillis) {
        this.deadlines = deadlines;
        this.jobOfPair = jobOfPair;
        this.callMillis = callMillis;
        this.started = new boolean[deadlines.length];
        this.missed = new boolean[deadlines.length];
    }

    static JobDeadlines of(List<Claimed> jobs, BatchPairs pairs, LongSupplier callMillis) {
        long[] deadlines = new long[jobs.size()];
        for (int j = 0; j < jobs.size(); j++) {
            deadlines[j] = jobs.get(j).job().deadline();
        }
        return new JobDeadlines(deadlines, pairs::jobIndexOf, callMillis);
    }

    /** The deadline (epoch ms) of the job of input pair {@code pair}. */
    long deadlineOf(int pair) {
        return deadlines[jobOfPair.applyAsInt(pair)];
    }

    /**
     * Asked when a call holding input pair {@code pair} got its slot: whether the pair is sent. The
     * first pair of a job sent marks the job started; a job that can no longer finish by its
     * deadline before it started has missed it, and none of its pairs is sent afterwards.
     */
    synchronized boolean sendNow(int pair) {
        int j = jobOfPair.applyAsInt(pair);
        if (started[j]) {
            return true;
        }
        if (missed[j] || System.currentTimeMillis() + callMillis.getAsLong() > deadlines[j]) {
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
