package dev.rerankqueue.store;

import java.util.Optional;

/**
 * One worker's word on how much it scores a second, and when it said it: (query, document) pairs
 * and, when it knows them, the tokens those pairs were charged at the door ({@code
 * JobCost.pairTokens}), the unit admission and quotas count work in. Stored in {@link
 * RedisKeys#WORKER_CAPACITY} as {@code "<epoch ms> <pairs per second> <tokens per second>"}; a
 * worker that knows no token figure writes the first two fields only, as workers did before tokens
 * were announced.
 *
 * @param tokensPerSecond charged tokens a second, or {@code NaN} when not announced
 */
public record ScorerCapacityAnnouncement(
        long saidAtMillis, double pairsPerSecond, double tokensPerSecond) {

    /** An announcement of pairs only. */
    public ScorerCapacityAnnouncement(long saidAtMillis, double pairsPerSecond) {
        this(saidAtMillis, pairsPerSecond, Double.NaN);
    }

    public boolean hasTokens() {
        return !Double.isNaN(tokensPerSecond);
    }

    public String wire() {
        return saidAtMillis + " " + pairsPerSecond + (hasTokens() ? " " + tokensPerSecond : "");
    }

    /** Whether it was said within {@code freshMillis} of {@code nowMillis}. */
    public boolean freshAt(long nowMillis, long freshMillis) {
        return nowMillis - saidAtMillis < freshMillis;
    }

    /** The announcement in {@code wire}, or empty when it is not one. */
    public static Optional<ScorerCapacityAnnouncement> parse(String wire) {
        String[] fields = wire == null ? new String[0] : wire.split(" ", -1);
        if (fields.length < 2 || fields.length > 3) {
            return Optional.empty();
        }
        try {
            long saidAt = Long.parseLong(fields[0]);
            double pairs = Double.parseDouble(fields[1]);
            double tokens = fields.length == 3 ? Double.parseDouble(fields[2]) : Double.NaN;
            return valid(pairs) && (fields.length == 2 || valid(tokens))
                    ? Optional.of(new ScorerCapacityAnnouncement(saidAt, pairs, tokens))
                    : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean valid(double rate) {
        return rate >= 0 && !Double.isInfinite(rate);
    }
}
