package dev.rerankqueue.store;

import java.util.Collection;
import java.util.Optional;

/**
 * One worker's word on how many (query, document) pairs per second it scores, and when it said it;
 * stored in {@link RedisKeys#WORKER_CAPACITY} as {@code "<epoch ms> <pairs per second>"}.
 */
public record ScorerCapacityAnnouncement(long saidAtMillis, double pairsPerSecond) {

    public String wire() {
        return saidAtMillis + " " + pairsPerSecond;
    }

    /** The announcement in {@code wire}, or empty when it is not one. */
    public static Optional<ScorerCapacityAnnouncement> parse(String wire) {
        int space = wire == null ? -1 : wire.indexOf(' ');
        if (space < 0) {
            return Optional.empty();
        }
        try {
            long saidAt = Long.parseLong(wire.substring(0, space));
            double rate = Double.parseDouble(wire.substring(space + 1));
            return rate >= 0 && !Double.isInfinite(rate)
                    ? Optional.of(new ScorerCapacityAnnouncement(saidAt, rate))
                    : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Pairs per second of the workers that spoke within {@code freshMillis} of {@code nowMillis}; 0
     * if none did.
     */
    public static double total(Collection<String> wires, long nowMillis, long freshMillis) {
        double sum = 0;
        for (String w : wires) {
            Optional<ScorerCapacityAnnouncement> a = parse(w);
            if (a.isPresent() && nowMillis - a.get().saidAtMillis() < freshMillis) {
                sum += a.get().pairsPerSecond();
            }
        }
        return sum;
    }
}
