package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.store.JobStateWriter;
import dev.rerankqueue.worker.store.WriteRetries;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
    private final JobStateWriter store;
    private final Duration writeRetryBudget;

    public ResultLog(
            @Channel(CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
                    MutinyEmitter<Record<String, byte[]>> results,
            JobStateWriter store,
            WorkerConfig config) {
        this.results = results;
        this.store = store;
        this.writeRetryBudget = config.results().writeRetryBudget();
    }

    /**
     * Appends the terminal state of every job of a batch, before the batch is acknowledged: the
     * states this pass wrote (as the writes returned them, so a Redis flush in between cannot lose
     * them), and the states of jobs found already terminal (a redelivery after a crash between the
     * Redis write and this append). Completes with the jobs whose state is gone from Redis, or
     * queued, and was not written by this pass: they must be scored again.
     */
    Uni<List<QueuedJob>> appendTerminalStates(
            List<QueuedJob> jobs, TerminalStates written, Duration retention) {
        List<Uni<QueuedJob>> appends = new ArrayList<>(jobs.size());
        for (QueuedJob job : jobs) {
            TerminalStates.Written mine = written.of(job.id());
            appends.add(
                    mine != null
                            ? send(job.id(), mine.encoded()).replaceWith((QueuedJob) null)
                            : appendIfTerminal(job));
        }
        if (appends.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Uni.join()
                .all(appends)
                .andFailFast()
                .call(() -> keep(written, retention))
                .map(list -> list.stream().filter(Objects::nonNull).toList());
    }

    /**
     * Redis may have been flushed since the writes, and a restore may have replayed the topic
     * before these appends landed: the states found gone are put back (one call to find them, one
     * more only when some are).
     */
    private Uni<Void> keep(TerminalStates written, Duration retention) {
        return store.absent(written.ids())
                .chain(gone -> store.applyAll(restores(gone, written, retention)))
                .replaceWithVoid();
    }

    /** The writes that put back the states of {@code gone} as this pass wrote them. */
    private static List<JobTransition> restores(
            List<String> gone, TerminalStates written, Duration retention) {
        List<JobTransition> out = new ArrayList<>(gone.size());
        for (String id : gone) {
            JobState state = JobCodec.decodeState(written.of(id).encoded());
            out.add(JobStateChanges.restored(state, retention));
        }
        return out;
    }

    /**
     * Appends the job's state if it is terminal; completes with the job if its state is gone or
     * queued: after a pass claimed it, a job is queued only when Redis came back without the claim
     * (it lost its last writes), and nobody runs it then. Running is another worker's (a
     * take-over).
     */
    private Uni<QueuedJob> appendIfTerminal(QueuedJob job) {
        return store.find(job.id())
                .chain(
                        state -> {
                            if (state == null || state.status() == JobStatus.QUEUED) {
                                return Uni.createFrom().item(job);
                            }
                            return state.status().isTerminal()
                                    ? append(state).replaceWith((QueuedJob) null)
                                    : Uni.createFrom().nullItem();
                        });
    }

    /** Completes once Kafka acknowledged the record. */
    public Uni<Void> append(JobState terminal) {
        return send(terminal.id(), JobCodec.encodeState(terminal));
    }

    /**
     * Retried like the store's writes, so a Kafka outage longer than the producer's own retries
     * delays the batch's acknowledgement instead of failing the consumer.
     */
    private Uni<Void> send(String id, byte[] state) {
        return WriteRetries.within(
                writeRetryBudget,
                Uni.createFrom().deferred(() -> results.send(Record.of(id, state))));
    }
}
