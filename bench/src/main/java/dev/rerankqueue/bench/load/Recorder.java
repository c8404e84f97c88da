package dev.rerankqueue.bench.load;

import java.util.Locale;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Latencies in microseconds, recorded from each request's intended start (open loop: no coordinated
 * omission).
 */
public final class Recorder {

    private final Histogram histogram = new ConcurrentHistogram(3_600_000_000L, 3);

    public void recordNanos(long nanos) {
        histogram.recordValue(
                Math.max(1, Math.min(nanos / 1_000, histogram.getHighestTrackableValue())));
    }

    public double percentileMillis(double p) {
        return histogram.getTotalCount() == 0
                ? Double.NaN
                : histogram.getValueAtPercentile(p) / 1000.0;
    }

    public long count() {
        return histogram.getTotalCount();
    }

    public String summary() {
        return String.format(
                Locale.ROOT,
                "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)",
                percentileMillis(50),
                percentileMillis(90),
                percentileMillis(99),
                histogram.getMaxValue() / 1000.0,
                count());
    }
}
