package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.messaging.JobCodec;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Appends every terminal state to the compacted {@code rerank.results} topic, the durable record
 * from which Redis is rebuilt ({@link dev.rerankqueue.worker.store.StateRestorer}); Redis is only
 * the fast serving copy.
 */
@ApplicationScoped
public class ResultLog {

    /** Outgoing channel of the results topic ({@code mp.messaging.outgoing.results-out.*}). */
    public static final String CHANNEL = "results-out";

    private final MutinyEmitter<Record<String, byte[]>> results;

    public ResultLog(
            @Channel(CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
                    MutinyEmitter<Record<String, byte[]>> results) {
        this.results = results;
    }

    /** Completes once Kafka acknowledged the record. */
    public Uni<Void> append(JobState terminal) {
        return results.send(Record.of(terminal.id(), JobCodec.encodeState(terminal)));
    }
}
