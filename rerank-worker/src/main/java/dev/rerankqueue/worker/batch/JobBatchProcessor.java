package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.job.RequestLimits;
import dev.rerankqueue.job.RequestValidator;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.observability.JobLog;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.TransitionOutcome;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.config.WorkerId;
import dev.rerankqueue.worker.scoring.MicroBatcher;
import dev.rerankqueue.worker.scoring.ScorePair;
import dev.rerankqueue.worker.store.CancellationWatch;
import dev.rerankqueue.worker.store.JobStateWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

/**
 * One Kafka batch, start to end: decode (poison to the DLQ), claim each job (queued to running, or
 * expired past its deadline), score the pairs of all claimed jobs together, write each result with
 * a compare-and-set on the version claimed, append every terminal state to the results topic. The
 * returned Uni completes only when all of that is done, so offsets are never committed before
 * results are in Redis and in Kafka.
 */
@ApplicationScoped
@Startup
public class JobBatchProcessor {

    private static final Logger LOG = Logger.getLogger(JobBatchProcessor.class);

    /**
     * Structural checks only: size limits are the gateway's to enforce, a worker scores what was
     * accepted.
     */
    private static final RequestValidator STRUCTURE =
            new RequestValidator(
                    new RequestLimits(
                            Integer.MAX_VALUE,
                            Integer.MAX_VALUE,
                            Integer.MAX_VALUE,
                            Long.MAX_VALUE));

    private final MicroBatcher batcher;
    private final CancellationWatch cancellations;
    private final JobStateWriter store;

    /**
     * Latency objectives users set for reranking: histogram buckets at these bounds, so SLO ratios
     * are exact.
     */
    static final Duration[] SLO_BUCKETS = {
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofMinutes(1),
        Duration.ofMinutes(5)
    };

    private final DeadLetters deadLetters;
    private final ResultLog resultLog;

    /** Per lane, then per terminal status: SLOs and their alerts are set per lane. */
    private final Map<Priority, Map<JobStatus, Counter>> finishedCounters =
            new EnumMap<>(Priority.class);

    private final Map<Priority, Map<JobStatus, Timer>> endToEnd = new EnumMap<>(Priority.class);
    private final String workerId;
    private final Duration retention;
    private final Duration writeRetryBudget;
    private final Map<Priority, Timer> queueWait = new EnumMap<>(Priority.class);
    private final DistributionSummary recordsPerBatch;
    private final int progressMinPairs;
    private final Duration progressInterval;

    public JobBatchProcessor(
            MicroBatcher batcher,
            JobStateWriter store,
            DeadLetters deadLetters,
            ResultLog resultLog,
            CancellationWatch cancellations,
            WorkerConfig config,
            MeterRegistry metrics) {
        this.batcher = batcher;
        this.cancellations = cancellations;
        this.resultLog = resultLog;
        this.store = store;
        this.deadLetters = deadLetters;
        // one counter and one end-to-end timer per lane and terminal status, and a queue-wait timer
        // per lane, exported as
        // 0 from the start so ratios and alerts see them
        for (Priority lane : Priority.values()) {
            Map<JobStatus, Counter> counters =
                    finishedCounters.computeIfAbsent(lane, l -> new EnumMap<>(JobStatus.class));
            Map<JobStatus, Timer> timers =
                    endToEnd.computeIfAbsent(lane, l -> new EnumMap<>(JobStatus.class));
            for (JobStatus s : JobStatus.values()) {
                if (s.isTerminal()) {
                    counters.put(
                            s,
                            metrics.counter(
                                    "rerank.jobs.finished",
                                    "lane",
                                    lane.wireName(),
                                    "status",
                                    s.wireName()));
                    timers.put(
                            s,
                            Timer.builder("rerank.job.end.to.end")
                                    .description("Time from acceptance to the job's terminal state")
                                    .tag("lane", lane.wireName())
                                    .tag("status", s.wireName())
                                    .serviceLevelObjectives(SLO_BUCKETS)
                                    .register(metrics));
                }
            }
            queueWait.put(
                    lane,
                    Timer.builder("rerank.job.queue.wait")
                            .description("Time from acceptance to the start of scoring")
                            .tag("lane", lane.wireName())
                            .publishPercentileHistogram()
                            .serviceLevelObjectives(SLO_BUCKETS)
                            .register(metrics));
        }
        this.workerId = WorkerId.of(config);
        this.retention = config.results().retention();
        this.writeRetryBudget = config.results().writeRetryBudget();
        this.progressMinPairs = config.progress().minPairs();
        this.progressInterval = config.progress().interval();
        this.recordsPerBatch =
                DistributionSummary.builder("rerank.kafka.batch.records")
                        .description("Records per Kafka poll batch")
                        .publishPercentileHistogram()
                        .register(metrics);
    }

    public String workerId() {
        return workerId;
    }

    /** A claimed job: the record it came from and the version of its running state. */
    private record Claimed(
            ConsumerRecord<String, byte[]> record, RerankJob job, long version, long startedAt) {}

    /**
     * Processes one batch of records of one jobs topic; its jobs are scored in that topic's lane.
     */
    public Uni<Void> process(Iterable<ConsumerRecord<String, byte[]>> records) {
        return process(records, 1);
    }

    private Uni<Void> process(Iterable<ConsumerRecord<String, byte[]>> records, int round) {
        Priority lane = null;
        List<Uni<Void>> parked = new ArrayList<>();
        Map<String, ConsumerRecord<String, byte[]>> byId = new LinkedHashMap<>();
        Map<String, RerankJob> jobs = new LinkedHashMap<>();
        int count = 0;
        for (ConsumerRecord<String, byte[]> record : records) {
            count++;
            lane = lane != null ? lane : Topics.lane(record.topic());
            try {
                RerankJob job = JobCodec.decodeJob(record.value());
                STRUCTURE.check(job.request());
                // the same job twice in one batch (a producer retry) is processed once
                if (jobs.putIfAbsent(job.id(), job) == null) {
                    byId.put(job.id(), record);
                }
            } catch (RuntimeException e) {
                parked.add(deadLetters.park(record, "unreadable job record: " + e.getMessage()));
            }
        }
        recordsPerBatch.record(count);
        if (jobs.isEmpty() && parked.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        long now = System.currentTimeMillis();
        long startNanos = System.nanoTime();
        Map<String, JobState> finished = new ConcurrentHashMap<>();
        Uni<Void> parkAll =
                parked.isEmpty()
                        ? Uni.createFrom().voidItem()
                        : Uni.join().all(parked).andFailFast().replaceWithVoid();
        long[] phases = new long[4];
        Priority scoringLane = lane;
        return parkAll.chain(() -> claimAll(jobs.values(), byId, now, finished))
                .invoke(() -> phases[0] = System.nanoTime())
                .chain(claimed -> scoreAndFinish(claimed, scoringLane, finished))
                .invoke(() -> phases[1] = System.nanoTime())
                .chain(() -> withWriteRetries(logTerminalStates(jobs.keySet(), finished)))
                .invoke(
                        () -> {
                            long t = System.nanoTime();
                            if (LOG.isDebugEnabled()) {
                                LOG.debugf(
                                        "%s batch of %d jobs: claim %d ms, score+write %d ms, results log %d ms",
                                        scoringLane.wireName(),
                                        jobs.size(),
                                        (phases[0] - startNanos) / 1_000_000,
                                        (phases[1] - phases[0]) / 1_000_000,
                                        (t - phases[1]) / 1_000_000);
                            }
                        })
                .chain(
                        vanished -> {
                            if (vanished.isEmpty()) {
                                return Uni.createFrom().voidItem();
                            }
                            if (round >= 3) {
                                return Uni.createFrom()
                                        .failure(
                                                new IllegalStateException(
                                                        "the state of jobs "
                                                                + vanished
                                                                + " keeps vanishing from Redis; not acknowledging their records"));
                            }
                            LOG.warnf(
                                    "the state of %d finished jobs vanished from Redis before it reached %s; scoring them again",
                                    vanished.size(), Topics.RESULTS);
                            return process(vanished.stream().map(byId::get).toList(), round + 1);
                        });
    }

    /**
     * Appends the terminal state of every job of the batch to the results topic before the batch is
     * acknowledged: the states this batch wrote (as the write returned them, so a Redis flush in
     * between cannot lose them), and the states of jobs found already terminal (a redelivery after
     * a crash between the Redis write and this append). Completes with the ids of jobs whose state
     * is gone from Redis and was not written by this batch.
     */
    private Uni<List<String>> logTerminalStates(
            Iterable<String> ids, Map<String, JobState> finished) {
        List<Uni<String>> appends = new ArrayList<>();
        for (String id : ids) {
            JobState mine = finished.get(id);
            appends.add(
                    mine != null
                            ? resultLog
                                    .append(mine)
                                    // Redis may have been flushed since the write, and a restore
                                    // may have replayed the topic before
                                    // this append landed: put the state back if it is gone (a no-op
                                    // when it is there)
                                    .chain(
                                            () ->
                                                    store.apply(
                                                            JobTransition.create(
                                                                            id,
                                                                            mine.status(),
                                                                            JobFields.restoring(
                                                                                    mine))
                                                                    .retainFor(retention)))
                                    .replaceWith((String) null)
                            : store.find(id)
                                    .chain(
                                            state -> {
                                                if (state == null) {
                                                    return Uni.createFrom().item(id);
                                                }
                                                return state.status().isTerminal()
                                                        ? resultLog
                                                                .append(state)
                                                                .replaceWith((String) null)
                                                        : Uni.createFrom().nullItem();
                                            }));
        }
        if (appends.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Uni.join()
                .all(appends)
                .andFailFast()
                .map(list -> list.stream().filter(x -> x != null).toList());
    }

    private Uni<List<Claimed>> claimAll(
            Iterable<RerankJob> jobs,
            Map<String, ConsumerRecord<String, byte[]>> records,
            long now,
            Map<String, JobState> finished) {
        List<Uni<Claimed>> claims = new ArrayList<>();
        for (RerankJob job : jobs) {
            claims.add(claim(job, records.get(job.id()), now, finished));
        }
        return withWriteRetries(Uni.join().all(claims).andFailFast())
                .map(list -> list.stream().filter(c -> c != null).toList());
    }

    /**
     * Moves the job to running (or expired, past its deadline); {@code null} when it is not ours to
     * score.
     */
    private Uni<Claimed> claim(
            RerankJob job,
            ConsumerRecord<String, byte[]> record,
            long now,
            Map<String, JobState> finished) {
        boolean expired = now > job.deadline();
        Map<String, String> base = JobFields.initial(job);
        LongFunction<JobTransition> transition =
                expected -> {
                    JobTransition t =
                            expired
                                    ? JobTransition.to(job.id(), JobStatus.EXPIRED)
                                            .set(JobFields.FINISHED_AT, now)
                                            .set(
                                                    JobFields.ERROR,
                                                    "deadline of "
                                                            + job.request().deadlineMs()
                                                            + " ms passed before scoring started")
                                    : JobTransition.to(job.id(), JobStatus.RUNNING)
                                            .set(JobFields.STARTED_AT, now)
                                            .set(JobFields.WORKER, workerId)
                                            .set(JobFields.SCORED_PAIRS, 0);
                    t.orCreateWith(base).retainFor(job.retentionOr(retention));
                    return expected < 0 ? t : t.expectVersion(expected);
                };
        return store.apply(transition.apply(-1))
                .chain(
                        o ->
                                o.applied() || o.status() != JobStatus.RUNNING
                                        ? Uni.createFrom().item(o)
                                        // Redelivered while marked running: the worker that held it
                                        // died or lost the partition.
                                        // Take it over through the retry edge, so a slow original
                                        // can no longer write its result.
                                        : store.apply(
                                                        JobTransition.to(job.id(), JobStatus.QUEUED)
                                                                .expectVersion(o.version())
                                                                .retainFor(
                                                                        job.retentionOr(retention)))
                                                .chain(
                                                        q ->
                                                                q.applied()
                                                                        ? store.apply(
                                                                                transition.apply(
                                                                                        q
                                                                                                .version()))
                                                                        : Uni.createFrom().item(q)))
                .map(
                        o -> {
                            if (!o.applied()) {
                                LOG.debugf(
                                        "job %s is %s already; not scoring it again",
                                        job.id(), o.status());
                                return null;
                            }
                            if (expired) {
                                finished.put(job.id(), o.writtenState(job.id()));
                                finished(job, JobStatus.EXPIRED);
                                long waited = Math.max(0, now - job.createdAt());
                                JobLog.finished(
                                        job,
                                        workerId,
                                        JobStatus.EXPIRED,
                                        waited,
                                        0,
                                        waited,
                                        "deadline passed before scoring started");
                                return null;
                            }
                            queueWait
                                    .get(job.lane())
                                    .record(Duration.ofMillis(Math.max(0, now - job.createdAt())));
                            return new Claimed(record, job, o.version(), now);
                        });
    }

    private Uni<Void> scoreAndFinish(
            List<Claimed> claimed, Priority lane, Map<String, JobState> finished) {
        if (claimed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<ScorePair> pairs = new ArrayList<>();
        List<String> jobOfPair = new ArrayList<>();
        // pairs whose document the request's own max_tokens_per_doc cut: counted as truncated,
        // never a fault
        Set<Integer> cutByRequest = new HashSet<>();
        for (Claimed c : claimed) {
            RerankRequest r = c.job().request();
            for (Document d : r.documents()) {
                ScorePair pair =
                        new ScorePair(c.job().tenant(), r.instruction(), r.query(), d.text());
                if (r.maxTokensPerDoc() != null) {
                    ScorePair cut = batcher.withDocumentTokens(pair, r.maxTokensPerDoc());
                    if (cut.document().length() < pair.document().length()) {
                        cutByRequest.add(pairs.size());
                    }
                    pair = cut;
                }
                pairs.add(pair);
                jobOfPair.add(c.job().id());
            }
        }
        ProgressReporter progress =
                ProgressReporter.of(
                        claimed.stream().map(c -> c.job().id()).toList(),
                        claimed.stream().mapToInt(c -> c.job().pairCount()).toArray(),
                        progressMinPairs,
                        progressInterval,
                        store);
        // a job cancelled while its batch is scored: its calls not yet sent are dropped (its result
        // is discarded anyway)
        return batcher.score(
                        pairs, lane, progress, i -> cancellations.isCancelled(jobOfPair.get(i)))
                .onItemOrFailure()
                .transformToUni(
                        (scored, failure) -> {
                            long end = System.currentTimeMillis();
                            List<Uni<Void>> writes = new ArrayList<>(claimed.size());
                            int offset = 0;
                            for (Claimed c : claimed) {
                                String refused =
                                        failure == null ? inputFault(c, scored, offset) : null;
                                writes.add(
                                        failure != null
                                                ? fail(
                                                        c,
                                                        "scoring failed: " + failure.getMessage(),
                                                        true,
                                                        end,
                                                        finished)
                                                : refused != null
                                                        ? fail(c, refused, false, end, finished)
                                                        : succeed(
                                                                c,
                                                                scored,
                                                                offset,
                                                                cutByRequest,
                                                                end,
                                                                finished));
                                offset += c.job().pairCount();
                            }
                            return withWriteRetries(Uni.join().all(writes).andFailFast())
                                    .replaceWithVoid();
                        });
    }

    private Uni<Void> succeed(
            Claimed c,
            MicroBatcher.Result scored,
            int offset,
            Set<Integer> cutByRequest,
            long now,
            Map<String, JobState> finished) {
        RerankRequest r = c.job().request();
        int n = r.documents().size();
        List<RankedDocument> ranked = new ArrayList<>(n);
        long tokens = 0;
        long truncated = 0;
        Set<Integer> calls = new HashSet<>();
        long scoringMs = 0;
        for (int i = 0; i < n; i++) {
            Document d = r.documents().get(i);
            ranked.add(
                    new RankedDocument(
                            i,
                            scored.values()[offset + i],
                            r.wantsDocuments()
                                    ? new RankedDocument.DocumentText(d.text(), d.id())
                                    : null));
            tokens += scored.tokens()[offset + i];
            if (scored.truncated()[offset + i] || cutByRequest.contains(offset + i)) {
                truncated++;
            }
            if (calls.add(scored.callOf()[offset + i])) {
                scoringMs += scored.callMs()[offset + i];
            }
        }
        ranked.sort(
                Comparator.comparingDouble(RankedDocument::relevanceScore)
                        .reversed()
                        .thenComparingInt(RankedDocument::index));
        JobResult result =
                new JobResult(
                        batcher.model(),
                        List.copyOf(ranked.subList(0, r.resultCount())),
                        new JobResult.Usage(n, tokens, truncated),
                        scoringMs);
        // orCreateWith: if Redis lost the job while it was scored (flush, failover), the result
        // still lands
        return store.apply(
                        JobTransition.to(c.job().id(), JobStatus.SUCCEEDED)
                                .expectVersion(c.version())
                                .orCreateWith(JobFields.initial(c.job()))
                                .set(JobFields.STARTED_AT, c.startedAt())
                                .set(JobFields.WORKER, workerId)
                                .set(JobFields.FINISHED_AT, now)
                                .set(JobFields.MODEL, batcher.model())
                                .set(JobFields.RESULT, JobCodec.encodeResult(result))
                                .retainFor(c.job().retentionOr(retention)))
                .invoke(o -> report(c, o, JobStatus.SUCCEEDED, finished, result.scoringMs(), null))
                .replaceWithVoid();
    }

    /**
     * Why the job fails for its own input, or {@code null}: a document the model refused (only this
     * job fails; the other jobs of its scorer calls were scored apart from it), or one cut to the
     * model's context in a job that asked not to be truncated.
     */
    private static String inputFault(Claimed c, MicroBatcher.Result scored, int offset) {
        RerankRequest r = c.job().request();
        for (int i = 0; i < r.documents().size(); i++) {
            if (scored.refusal(offset + i) != null) {
                return "document " + i + " was refused by the model: " + scored.refusal(offset + i);
            }
            if (!r.truncates() && scored.truncated()[offset + i]) {
                return "document "
                        + i
                        + " is longer than the model's context and the job asked not to truncate "
                        + "(\"truncate\": false); shorten it, or leave truncation on to score its beginning";
            }
        }
        return null;
    }

    /**
     * Fails the job; a scorer failure also parks its record on the dead-letter topic for replay,
     * while a job failed for its own input is not parked: replaying it would fail the same way.
     */
    private Uni<Void> fail(
            Claimed c,
            String reason,
            boolean deadLetter,
            long now,
            Map<String, JobState> finished) {
        return store.apply(
                        JobTransition.to(c.job().id(), JobStatus.FAILED)
                                .expectVersion(c.version())
                                .orCreateWith(JobFields.initial(c.job()))
                                .set(JobFields.FINISHED_AT, now)
                                .set(JobFields.ERROR, reason)
                                .retainFor(c.job().retentionOr(retention)))
                .invoke(o -> report(c, o, JobStatus.FAILED, finished, 0, reason))
                .chain(
                        o ->
                                o.applied() && deadLetter
                                        ? deadLetters.park(c.record(), reason)
                                        : Uni.createFrom().voidItem());
    }

    private void report(
            Claimed c,
            TransitionOutcome o,
            JobStatus target,
            Map<String, JobState> finished,
            long scoringMs,
            String error) {
        if (o.applied()) {
            finished.put(c.job().id(), o.writtenState(c.job().id()));
            finished(c.job(), target);
            long total = Math.max(0, System.currentTimeMillis() - c.job().createdAt());
            endToEnd.get(c.job().lane()).get(target).record(Duration.ofMillis(total));
            JobLog.finished(
                    c.job(),
                    workerId,
                    target,
                    Math.max(0, c.startedAt() - c.job().createdAt()),
                    scoringMs,
                    total,
                    error);
        } else {
            // cancelled, or taken over by another worker, while we scored: our result is discarded
            LOG.debugf(
                    "job %s moved to %s while scoring; result of %s discarded",
                    c.job().id(), o.status(), workerId);
        }
    }

    private void finished(RerankJob job, JobStatus status) {
        finishedCounters.get(job.lane()).get(status).increment();
    }

    /**
     * Redis writes are retried with backoff for a while: the batch must not be acknowledged before
     * they land.
     */
    private <T> Uni<T> withWriteRetries(Uni<T> writes) {
        return writes.onFailure()
                .invoke(e -> LOG.warnf("writing job state failed, retrying: %s", e.toString()))
                .onFailure()
                .retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(5))
                .expireIn(writeRetryBudget.toMillis());
    }
}
