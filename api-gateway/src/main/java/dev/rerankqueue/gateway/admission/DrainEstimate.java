package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.observability.BusyRate;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * The workers' drain rate, from successive samples of the consumer group's backlog and committed
 * position.
 *
 * <p>Only intervals that started with a backlog count ("busy" time): an idle queue says nothing
 * about how fast it drains, so the estimate survives quiet periods and is ready when a burst comes.
 * The rate is committed progress over the last {@code window} of busy time, and is reported only
 * once {@code minBusy} of it was seen. A busy interval without progress counts too: workers that
 * stopped draining bring the rate down to zero. Samples further apart than {@code maxInterval} had
 * failed ones between them (Kafka unreachable): nothing was observed in that time, which would
 * otherwise count as busy time without progress, so the later sample only starts a new interval.
 */
final class DrainEstimate {

    private final BusyRate rate;
    private long lastNanos;
    private long lastBacklog = -1;
    private long lastPosition;

    private final long maxIntervalNanos;

    DrainEstimate(Duration window, Duration minBusy, Duration maxInterval) {
        this.rate = new BusyRate(window, minBusy);
        this.maxIntervalNanos = maxInterval.toNanos();
    }

    /**
     * One sample taken at {@code nanos}: jobs waiting, and the group's committed position summed
     * over partitions.
     */
    synchronized void sample(long nanos, long backlog, long position) {
        if (lastBacklog > 0 && nanos > lastNanos && nanos - lastNanos <= maxIntervalNanos) {
            rate.add(nanos - lastNanos, Math.max(0, position - lastPosition));
        }
        lastNanos = nanos;
        lastBacklog = backlog;
        lastPosition = position;
    }

    /** Jobs per second while there was work, or empty until enough busy time was seen. */
    OptionalDouble rate() {
        return rate.perSecond();
    }

    /** Jobs waiting at the last sample; -1 before the first. */
    synchronized long backlog() {
        return lastBacklog;
    }
}
