package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.Priority;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.worker.batch.JobClaimer.Claimed;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.scoring.MicroBatcher;
import dev.rerankqueue.worker.scoring.MicroBatcher.ScoredPairs;
import dev.rerankqueue.worker.scoring.PairOwner;
import dev.rerankqueue.worker.store.CancellationWatch;
import dev.rerankqueue.worker.store.JobStateWriter;
import dev.rerankqueue.worker.store.ScoreCheckpoints;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

/**
 * One Kafka batch, start to end, as a chain of named steps: {@link DecodedBatch#decode decode}
 * (unreadable records to the dead-letter topic), {@link JobClaimer claim} each job, {@link
 * #scoreAndRecord score} the pairs of all claimed jobs together and {@link JobRecorder record} each
 * result, {@link ResultLog#appendTerminalStates append} every terminal state to the results topic.
 * The returned Uni completes only when all of that is done, so the batch's offsets are never
 * committed before its results are in Redis and in Kafka ({@link JobConsumer}).
 */
@ApplicationScoped
@Startup
public class JobBatchProcessor {

    private static final Logger LOG = Logger.getLogger(JobBatchProcessor.class);

    /** Passes over the jobs whose state vanished from Redis before it was published, at most. */
    private static final int MAX_PASSES = 3;

    private final MicroBatcher batcher;
    private final JobClaimer claimer;
    private final JobRecorder recorder;
    private final ResultLog resultLog;
    private final DeadLetters deadLetters;
    private final CancellationWatch cancellations;
    private final JobStateWriter store;
    private final ScoreCheckpoints checkpoints;
    private final JobMetrics metrics;
    private final Duration retention;
    private final int progressMinPairs;
    private final Duration progressInterval;
    private final int callPairs;

    public JobBatchProcessor(
            MicroBatcher batcher,
            JobClaimer claimer,
            JobRecorder recorder,
            ResultLog resultLog,
            DeadLetters deadLetters,
            CancellationWatch cancellations,
            JobStateWriter store,
            ScoreCheckpoints checkpoints,
            JobMetrics metrics,
            WorkerConfig config) {
        this.batcher = batcher;
        this.claimer = claimer;
        this.recorder = recorder;
        this.resultLog = resultLog;
        this.deadLetters = deadLetters;
        this.cancellations = cancellations;
        this.store = store;
        this.checkpoints = checkpoints;
        this.metrics = metrics;
        this.retention = config.results().retention();
        this.progressMinPairs = config.progress().minPairs();
        this.progressInterval = config.progress().interval();
        this.callPairs = config.batch().maxPairs();
    }

    /**
     * Processes one batch of records of one jobs topic; its jobs are scored in that topic's lane.
     */
    public Uni<Void> process(Iterable<ConsumerRecord<String, byte[]>> records) {
        DecodedBatch batch = DecodedBatch.decode(records);
        metrics.batchPolled(batch.recordCount());
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return parkUnreadable(batch)
                .chain(() -> runToTheEnd(batch.jobs(), batch.lane(), batch.overflow()));
    }

    private Uni<Void> parkUnreadable(DecodedBatch batch) {
        if (batch.unreadable().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> parked = new ArrayList<>();
        batch.unreadable().forEach(u -> parked.add(deadLetters.park(u.record(), u.reason())));
        return Uni.join().all(parked).andFailFast().replaceWithVoid();
    }

    /**
     * Runs passes until every job's terminal state is published: a job whose state vanished from
     * Redis (a flush, a failover), or went back to queued with the writes Redis lost, before it
     * reached the results topic is claimed and scored again, in {@link #MAX_PASSES} passes at most;
     * after that the batch fails and is not acknowledged.
     */
    private Uni<Void> runToTheEnd(List<QueuedJob> jobs, Priority lane, boolean overflow) {
        AtomicReference<List<QueuedJob>> pending = new AtomicReference<>(jobs);
        return Uni.createFrom()
                .deferred(() -> pass(pending.get(), lane, overflow))
                .onFailure(StatesVanished.class)
                .invoke(
                        e -> {
                            List<QueuedJob> vanished = ((StatesVanished) e).jobs;
                            LOG.warnf(
                                    "the state of %d finished jobs vanished from Redis, or went"
                                            + " back to queued, before it reached %s: scoring"
                                            + " them again",
                                    vanished.size(), Topics.RESULTS);
                            pending.set(vanished);
                        })
                .onFailure(StatesVanished.class)
                .retry()
                .atMost(MAX_PASSES - 1);
    }

    /** Claim, score and record, publish: one pass over {@code jobs}. */
    private Uni<Void> pass(List<QueuedJob> jobs, Priority lane, boolean overflow) {
        long now = System.currentTimeMillis();
        long start = System.nanoTime();
        TerminalStates written = new TerminalStates();
        return claimer.claimAll(jobs, now, written)
                .chain(claimed -> scoreAndRecordByTenant(claimed, lane, overflow, written))
                .chain(() -> resultLog.appendTerminalStates(jobs, written, retention))
                .chain(
                        vanished -> {
                            if (LOG.isDebugEnabled()) {
                                LOG.debugf(
                                        "%s batch of %d jobs claimed, scored, recorded and"
                                                + " published in %d ms",
                                        lane.wireName(),
                                        jobs.size(),
                                        (System.nanoTime() - start) / 1_000_000);
                            }
                            return vanished.isEmpty()
                                    ? Uni.createFrom().voidItem()
                                    : Uni.createFrom().failure(new StatesVanished(vanished));
                        });
    }

    /**
     * Scores and records the claimed jobs in groups of one tenant's jobs of about one scorer call's
     * pairs ({@link #inCalls}), each {@link #scoreAndRecord(List, Priority, boolean,
     * TerminalStates) on its own}, all at once: the scorer serves the tenants in turns, a tenant's
     * calls earliest deadline first, and a group is recorded as soon as its own pairs are scored,
     * so a small job polled with large ones (another tenant's or its own) does not wait for them.
     */
    private Uni<Void> scoreAndRecordByTenant(
            List<Claimed> claimed, Priority lane, boolean overflow, TerminalStates written) {
        if (claimed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Map<String, List<Claimed>> byTenant = new LinkedHashMap<>();
        claimed.forEach(
                c -> byTenant.computeIfAbsent(c.job().tenant(), t -> new ArrayList<>()).add(c));
        List<Uni<Void>> groups = new ArrayList<>();
        for (List<Claimed> jobs : byTenant.values()) {
            inCalls(jobs).forEach(g -> groups.add(scoreAndRecord(g, lane, overflow, written)));
        }
        return groups.size() == 1
                ? groups.get(0)
                : Uni.join().all(groups).andCollectFailures().replaceWithVoid();
    }

    /**
     * One tenant's {@code jobs}, earliest deadline first (Kafka order among equal ones), in groups
     * of at most one scorer call's pairs ({@code rerank.worker.batch.max-pairs}; a larger job is a
     * group of its own): a job's result is stored when its group's calls end, not when those of
     * every job polled with it do.
     */
    private List<List<Claimed>> inCalls(List<Claimed> jobs) {
        List<Claimed> byDeadline = new ArrayList<>(jobs);
        byDeadline.sort(Comparator.comparingLong(c -> c.job().deadline()));
        List<List<Claimed>> groups = new ArrayList<>();
        List<Claimed> group = new ArrayList<>();
        long pairs = 0;
        for (Claimed c : byDeadline) {
            int n = c.job().pairCount();
            if (!group.isEmpty() && pairs + n > callPairs) {
                groups.add(group);
                group = new ArrayList<>();
                pairs = 0;
            }
            group.add(c);
            pairs += n;
        }
        groups.add(group);
        return groups;
    }

    /**
     * Scores the pairs of one tenant's claimed jobs together in {@code lane}, reusing what an
     * earlier worker checkpointed of them and checkpointing each call's scores, then records each
     * job.
     */
    private Uni<Void> scoreAndRecord(
            List<Claimed> claimed, Priority lane, boolean overflow, TerminalStates written) {
        BatchPairs pairs = BatchPairs.of(claimed, batcher.scorer());
        return BatchCheckpoints.load(claimed, pairs, batcher.model(), checkpoints)
                .chain(saved -> scoreAndRecord(claimed, pairs, saved, lane, overflow, written));
    }

    private Uni<Void> scoreAndRecord(
            List<Claimed> claimed,
            BatchPairs pairs,
            BatchCheckpoints saved,
            Priority lane,
            boolean overflow,
            TerminalStates written) {
        Consumer<ScoredPairs> progress =
                ProgressReporter.of(
                        pairs.jobIds(),
                        pairs.pairCounts(),
                        pairs.documentCounts(),
                        progressMinPairs,
                        progressInterval,
                        store);
        JobDeadlines deadlines =
                JobDeadlines.of(claimed, pairs, batcher.capacity()::recentCallMillis);
        PairOwner owner =
                new PairOwner(
                        lane,
                        claimed.get(0).job().tenant(),
                        deadlines::deadlineOf,
                        deadlines::sendNow,
                        overflow);
        // a job cancelled while its batch is scored: its calls not yet sent are dropped (its result
        // is discarded anyway)
        return batcher.score(
                        pairs.pairs(),
                        owner,
                        progress.andThen(saved),
                        i -> cancellations.isCancelled(pairs.jobOf(i)),
                        saved::known)
                .onItemOrFailure()
                .transformToUni(
                        (scored, failure) ->
                                saved.settled()
                                        .chain(
                                                () ->
                                                        recorder.recordAll(
                                                                claimed,
                                                                pairs,
                                                                deadlines,
                                                                scored,
                                                                failure,
                                                                batcher.model(),
                                                                written)))
                .call(saved::delete);
    }

    /** Jobs whose state is gone from Redis though this pass did not write it. */
    private static final class StatesVanished extends IllegalStateException {

        private final transient List<QueuedJob> jobs;

        StatesVanished(List<QueuedJob> jobs) {
            super(
                    "the state of jobs "
                            + jobs.stream().map(QueuedJob::id).toList()
                            + " keeps vanishing from Redis; not acknowledging their records");
            this.jobs = jobs;
        }
    }
}
