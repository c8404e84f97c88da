package dev.rerankqueue.bench.emulator;

/**
 * Fault knobs of the emulator, settable at start and at run time ({@code POST /emulator/faults}).
 *
 * @param errorRate share of scoring requests answered 500
 * @param spikeRate share of scoring requests delayed by {@code spikeMs} on top of their GPU time
 * @param spikeMs extra latency of a spike
 * @param hang scoring requests are never answered (the connection stays open)
 */
public record Faults(double errorRate, double spikeRate, long spikeMs, boolean hang) {

    public static final Faults NONE = new Faults(0, 0, 0, false);
}
