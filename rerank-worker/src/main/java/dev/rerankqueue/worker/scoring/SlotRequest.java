package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.Priority;

/**
 * What the {@link LaneGate} orders a waiting scorer call by: its lane, the tenant whose work it is,
 * the earliest deadline among its jobs (epoch ms; {@link Long#MAX_VALUE} for none) and the model
 * tokens it is estimated to cost; and whether its jobs came from the lane's overflow topic (their
 * tenant was past its front share), which a model server that schedules by priority serves after
 * the lane's other calls.
 */
public record SlotRequest(
        Priority lane, String tenant, long deadline, long tokens, boolean overflow) {

    /** A call of jobs from the lane's own topic. */
    public SlotRequest(Priority lane, String tenant, long deadline, long tokens) {
        this(lane, tenant, deadline, tokens, false);
    }

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
