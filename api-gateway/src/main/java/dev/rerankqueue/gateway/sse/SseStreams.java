package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Duration;

/**
 * What every event stream of the gateway shares: heartbeats while it runs, an end when its content
 * ends, one lease.
 */
public final class SseStreams {

    private SseStreams() {}

    /**
     * {@code content}, with a heartbeat comment every {@code heartbeat} while it runs; the stream
     * ends when the content does, and {@code release} runs once however it ends (completion,
     * failure, client gone).
     */
    public static Multi<OutboundSseEvent> withHeartbeats(
            Sse sse, Multi<OutboundSseEvent> content, Duration heartbeat, Runnable release) {
        OutboundSseEvent end = sse.newEventBuilder().comment("end").build();
        Multi<OutboundSseEvent> beats =
                Multi.createFrom()
                        .ticks()
                        .startingAfter(heartbeat)
                        .every(heartbeat)
                        .map(t -> sse.newEventBuilder().comment("heartbeat").build());
        return Multi.createBy()
                .merging()
                .streams(content.onCompletion().continueWith(end), beats)
                .select()
                .first(e -> e != end)
                .onTermination()
                .invoke(release);
    }

    /**
     * The event name of a job state as a job's stream sends it: {@code progress} for a running job
     * with pairs scored, otherwise as {@link #eventName(JobStatus)}.
     */
    public static String eventName(JobState state) {
        return state.status() == JobStatus.RUNNING && state.scored() > 0
                ? "progress"
                : eventName(state.status());
    }

    /**
     * The event name of a job state: {@code status} while open, then {@code result} or {@code
     * error}.
     */
    public static String eventName(JobStatus status) {
        return !status.isTerminal() ? "status" : status == JobStatus.SUCCEEDED ? "result" : "error";
    }
}
