package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.store.ScorerCapacityAnnouncement;
import java.util.List;

/**
 * What the workers' fresh announcements said at the last sample, summed once there: pairs per
 * second of all of them, charged tokens per second of those that announce tokens, and pairs per
 * second of those that announce pairs only.
 */
record AnnouncedCapacity(double pairsPerSecond, double tokensPerSecond, double pairsOnlyPerSecond) {

    static final AnnouncedCapacity NONE = new AnnouncedCapacity(0, 0, 0);

    static AnnouncedCapacity of(List<ScorerCapacityAnnouncement> fresh) {
        double pairs = 0;
        double tokens = 0;
        double pairsOnly = 0;
        for (ScorerCapacityAnnouncement a : fresh) {
            pairs += a.pairsPerSecond();
            if (a.hasTokens()) {
                tokens += a.tokensPerSecond();
            } else {
                pairsOnly += a.pairsPerSecond();
            }
        }
        return new AnnouncedCapacity(pairs, tokens, pairsOnly);
    }
}
