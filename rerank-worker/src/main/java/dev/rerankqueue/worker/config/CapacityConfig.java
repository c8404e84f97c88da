package dev.rerankqueue.worker.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * What this worker tells the gateways it can score ({@code rerank.worker.capacity.}), for admission
 * from the first second of a burst.
 */
public interface CapacityConfig {
    /**
     * Announce this many pairs per second instead of the measured figure (pairs scored per second
     * of busy scorer time). Set it when the model server's throughput is known (see the
     * calibration) so that gateways refuse a burst right after a deploy, before this worker has
     * measured anything. Default: measured.
     */
    Optional<Double> pairsPerSecond();

    /**
     * Announce this many charged tokens per second (tokens as the gateway charges them: one a UTF-8
     * byte of query, instruction and document, plus 384 for the prompt) instead of the measured
     * figure. Gateways admit by it when it is announced, by pairs otherwise. Default: measured,
     * unless {@code pairs-per-second} is set, which then is announced alone.
     */
    Optional<Double> tokensPerSecond();

    /** Busy scorer time over which the measured figure is averaged. Default 30s. */
    @WithDefault("30s")
    Duration window();
}
