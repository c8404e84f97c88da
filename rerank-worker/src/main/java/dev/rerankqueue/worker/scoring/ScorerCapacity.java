package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.JobCost;
import dev.rerankqueue.observability.BusyRate;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * How many pairs, and how many charged tokens ({@link JobCost#pairTokens}, the unit jobs are
 * charged in at the door), per second this worker's scorer gets through while it has work: what was
 * scored over the time at least one scorer call was running, averaged over the last {@code window}
 * of such busy time. Idle time does not count, so the figure survives quiet periods and is there
 * when a burst comes. Gateways read it (summed over workers) to refuse a burst from its first
 * second instead of waiting to measure the drain from committed offsets.
 *
 * <p>It is a lower bound of the scorer's capacity: at low load the model server gets fewer calls at
 * once than it could batch, so a GPU looks slower than it is; under load (every slot busy) it is
 * the real throughput.
 */
public final class ScorerCapacity {

    private final BusyRate rate;
    private final BusyRate tokenRate;
    private int running;
    private long busySince;
    private long busyNanos;
    private long pairs;
    private long tokens;
    private OptionalDouble tokensPerSecond = OptionalDouble.empty();
    private volatile double callMillis;

    public ScorerCapacity(Duration window, Duration minBusy) {
        this.rate = new BusyRate(window, minBusy);
        this.tokenRate = new BusyRate(window, minBusy);
    }

    /** A scorer call started at {@code nanos}. */
    public synchronized void started(long nanos) {
        if (running++ == 0) {
            busySince = nanos;
        }
    }

    /**
     * A scorer call that started ended at {@code nanos}, having scored {@code scored} pairs charged
     * {@code scoredTokens} tokens (both 0 if it failed).
     */
    public synchronized void ended(long nanos, int scored, long scoredTokens) {
        pairs += scored;
        tokens += scoredTokens;
        if (--running == 0) {
            busyNanos += nanos - busySince;
        }
    }

    /**
     * Closes the interval since the last tick (call it every second or so) and returns the pairs
     * per busy second over the window, or empty until {@code minBusy} of busy time was seen.
     */
    public synchronized OptionalDouble tick(long nanos) {
        if (running > 0) {
            busyNanos += nanos - busySince;
            busySince = nanos;
        }
        rate.add(busyNanos, pairs);
        tokenRate.add(busyNanos, tokens);
        busyNanos = 0;
        pairs = 0;
        tokens = 0;
        tokensPerSecond = tokenRate.perSecond();
        return rate.perSecond();
    }

    /** A scorer call that succeeded took {@code millis}: folded into {@link #recentCallMillis}. */
    public void callTook(long millis) {
        double before = callMillis;
        callMillis = before == 0 ? millis : before + CALL_WEIGHT * (millis - before);
    }

    /**
     * How long a scorer call takes lately, ms (an average weighted towards the last calls, 0 before
     * the first): how long a job's pairs sent now would take to come back.
     */
    public long recentCallMillis() {
        return Math.round(callMillis);
    }

    /** Weight of the last call in {@link #recentCallMillis}. */
    private static final double CALL_WEIGHT = 0.2;

    /** Charged tokens per busy second over the window as of the last {@link #tick}, if known. */
    public synchronized OptionalDouble tokensPerSecond() {
        return tokensPerSecond;
    }
}
