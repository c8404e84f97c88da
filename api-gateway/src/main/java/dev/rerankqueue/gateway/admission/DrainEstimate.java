package dev.rerankqueue.gateway.admission;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalDouble;

/**
 * The workers' drain rate, from successive samples of the consumer group's backlog and committed position.
 *
 * <p>Only intervals that started with a backlog count ("busy" time): an idle queue says nothing about how fast it
 * drains, so the estimate survives quiet periods and is ready when a burst comes. The rate is committed progress over
 * the last {@code window} of busy time, and is reported only once {@code minBusy} of it was seen. A busy interval
 * without progress counts too: workers that stopped draining bring the rate down to zero.
 */
final class DrainEstimate {

    private record Interval(long nanos, long progress) {
    }

    private final long windowNanos;
    private final long minBusyNanos;
    private final Deque<Interval> busy = new ArrayDeque<>();
    private long busyNanos;
    private long busyProgress;
    private long lastNanos;
    private long lastBacklog = -1;
    private long lastPosition;

    DrainEstimate(Duration window, Duration minBusy) {
        this.windowNanos = window.toNanos();
        this.minBusyNanos = minBusy.toNanos();
    }

    /** One sample taken at {@code nanos}: jobs waiting, and the group's committed position summed over partitions. */
    synchronized void sample(long nanos, long backlog, long position) {
        if (lastBacklog > 0 && nanos > lastNanos) {
            Interval i = new Interval(nanos - lastNanos, Math.max(0, position - lastPosition));
            busy.addLast(i);
            busyNanos += i.nanos;
            busyProgress += i.progress;
            while (busyNanos - busy.peekFirst().nanos >= windowNanos) {
                Interval old = busy.removeFirst();
                busyNanos -= old.nanos;
                busyProgress -= old.progress;
            }
        }
        lastNanos = nanos;
        lastBacklog = backlog;
        lastPosition = position;
    }

    /** Jobs per second while there was work, or empty until enough busy time was seen. */
    synchronized OptionalDouble rate() {
        if (busyNanos < minBusyNanos || busyNanos == 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(busyProgress * 1e9 / busyNanos);
    }

    /** Jobs waiting at the last sample; -1 before the first. */
    synchronized long backlog() {
        return lastBacklog;
    }
}
