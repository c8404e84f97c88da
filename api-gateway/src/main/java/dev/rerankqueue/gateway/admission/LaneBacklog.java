package dev.rerankqueue.gateway.admission;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Jobs waiting in one lane, as the last sample of the workers' lag found them plus those accepted
 * since (not in the lag yet): in the lane's own topic, and in its overflow topic, where the gateway
 * puts a tenant's jobs past its front.
 */
final class LaneBacklog {

    private final AtomicLong sampled = new AtomicLong();
    private final AtomicLong sinceSample = new AtomicLong();
    private final AtomicLong sampledOverflow = new AtomicLong();
    private final AtomicLong overflowSinceSample = new AtomicLong();

    /** Jobs in the lane's own topic. */
    long own() {
        return sampled.get() + sinceSample.get();
    }

    /** Jobs in the lane's overflow topic. */
    long overflow() {
        return sampledOverflow.get() + overflowSinceSample.get();
    }

    /** Jobs in both topics. */
    long all() {
        return own() + overflow();
    }

    /** One job accepted into the own topic, or into the overflow topic. */
    void accepted(boolean overflow) {
        (overflow ? overflowSinceSample : sinceSample).incrementAndGet();
    }

    /** A new sample: the lag of the own topic and of the overflow topic. */
    void sampled(long own, long overflow) {
        sampled.set(own);
        sinceSample.set(0);
        sampledOverflow.set(overflow);
        overflowSinceSample.set(0);
    }
}
