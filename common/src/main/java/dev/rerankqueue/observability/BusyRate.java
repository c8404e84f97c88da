package dev.rerankqueue.observability;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalDouble;

/**
 * Progress per second of busy time, averaged over the last {@code window} of busy time: intervals
 * in which there was nothing to do are never added, so the figure survives quiet periods and is
 * there when work returns. Both sides use it: the gateway for the workers' drain rate (committed
 * jobs while there is a backlog), a worker for its scorer's capacity (pairs scored while a call
 * runs).
 */
public final class BusyRate {

    private record Interval(long nanos, long progress) {}

    private final long windowNanos;
    private final long minBusyNanos;
    private final Deque<Interval> intervals = new ArrayDeque<>();
    private long busyNanos;
    private long progress;

    /**
     * @param minBusy busy time needed before there is a figure at all
     */
    public BusyRate(Duration window, Duration minBusy) {
        this.windowNanos = window.toNanos();
        this.minBusyNanos = minBusy.toNanos();
    }

    /**
     * {@code nanos} of busy time in which {@code progress} was made (zero counts: busy without
     * progress).
     */
    public synchronized void add(long nanos, long progress) {
        if (nanos <= 0) {
            return;
        }
        intervals.addLast(new Interval(nanos, progress));
        busyNanos += nanos;
        this.progress += progress;
        while (busyNanos - intervals.peekFirst().nanos() >= windowNanos) {
            Interval old = intervals.removeFirst();
            busyNanos -= old.nanos();
            this.progress -= old.progress();
        }
    }

    /**
     * Progress per busy second over the window, or empty until {@code minBusy} of busy time was
     * seen.
     */
    public synchronized OptionalDouble perSecond() {
        if (busyNanos < minBusyNanos || busyNanos == 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(progress * 1e9 / busyNanos);
    }
}
