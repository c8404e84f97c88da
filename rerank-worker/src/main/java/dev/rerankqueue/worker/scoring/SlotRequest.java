package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.Priority;

/**
 * What the {@link LaneGate} orders a waiting scorer call by: its lane, the tenant whose work it is,
 * the earliest deadline among its jobs (epoch ms; {@link Long#MAX_VALUE} for none) and the model
 * tokens it is estimated to cost.
 */
public record SlotRequest(Priority lane, String tenant, long deadline, long tokens) {

    /** A null lane is the interactive one; a null tenant is no tenant in particular. */
    public SlotRequest {
        lane = Priority.orDefault(lane);
        tenant = tenant == null ? "" : tenant;
    }

    /** A call of {@code lane} of no tenant in particular, without deadline, costing one token. */
    public static SlotRequest of(Priority lane) {
        return new SlotRequest(lane, "", Long.MAX_VALUE, 1);
    }
}
