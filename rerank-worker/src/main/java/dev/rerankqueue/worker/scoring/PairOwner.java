package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.Priority;
import java.util.function.IntPredicate;
import java.util.function.IntToLongFunction;

/**
 * Whose pairs one {@link MicroBatcher#score} run scores: the lane and the tenant its calls wait in
 * ({@link LaneGate}); each input pair's deadline (epoch ms, {@link Long#MAX_VALUE} for none), which
 * orders the tenant's calls; and {@code sendNow}, asked once for each input pair when its call gets
 * a slot: false leaves the pair out of the call (its job's deadline passed before any of its pairs
 * was sent). {@code overflow}: the jobs came from the lane's overflow topic ({@link SlotRequest}).
 */
public record PairOwner(
        Priority lane,
        String tenant,
        IntToLongFunction deadlineOf,
        IntPredicate sendNow,
        boolean overflow) {

    /** Pairs of jobs from the lane's own topic. */
    public PairOwner(
            Priority lane, String tenant, IntToLongFunction deadlineOf, IntPredicate sendNow) {
        this(lane, tenant, deadlineOf, sendNow, false);
    }

    /** Pairs of {@code lane}, of no tenant in particular, without deadlines. */
    public static PairOwner of(Priority lane) {
        return new PairOwner(lane, "", i -> Long.MAX_VALUE, i -> true);
    }
}
