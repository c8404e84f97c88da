package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.Admission;
import dev.rerankqueue.job.JobCost;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.ScorerCapacityAnnouncement;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Admission control on the backlog of one {@link ModelPool}. {@link BacklogAdmission}'s background
 * thread reads the pool's consumer-group lag on its jobs topics ({@link ConsumerGroupLag}) and
 * feeds a {@link DrainEstimate}; a submit is refused with 503 while the jobs waiting ahead of it
 * would take longer than the configured limit to drain, and its Retry-After is the time until they
 * would not. Workers score interactive jobs first, so an interactive job waits only for the
 * interactive backlog, a batch job for both.
 *
 * <p>Until enough busy time was seen to measure the drain from committed offsets, the rate is the
 * pool's workers' announced capacity ({@link RedisKeys#workerCapacity}: charged tokens per second,
 * turned into jobs per second with the mean tokens per job this gateway was offered, so that jobs
 * of a few long or chunked documents weigh what they cost the model; pairs per second and the mean
 * pairs per job for a worker that announces no tokens), so a burst right after a deploy or a quiet
 * hour is refused from its first second; the committed rate replaces it as soon as it is known. The
 * check fails open: without a recent sample (Kafka unreachable) or without any rate (no worker
 * announced, none measured), jobs are accepted and the producer's own timeout guards durability.
 */
final class PoolBacklog {

    private final StartPredictions predictions;
    private final Admission config;
    final ModelPool pool;
    private final String group;
    final DrainEstimate estimate;

    volatile AnnouncedCapacity announced = AnnouncedCapacity.NONE;

    /** Jobs waiting per lane: in its own topic and in its overflow topic. */
    private final Map<Priority, LaneBacklog> backlogs = new EnumMap<>(Priority.class);

    /**
     * Jobs and their charged pairs and tokens offered to one lane since start: the mean job size
     * that turns the lag into work.
     */
    record Offered(LongAdder jobs, LongAdder pairs, LongAdder tokens) {
        double mean(LongAdder of) {
            long n = jobs.sum();
            return n == 0 ? Double.NaN : of.sum() / (double) n;
        }
    }

    private final Map<Priority, Offered> offered = new EnumMap<>(Priority.class);

    private volatile long sampledAt;

    /**
     * A worker's capacity announcement older than this is not counted (workers refresh it every
     * second).
     */
    static final long CAPACITY_FRESH_MS = 10_000;

    /**
     * Time a sample may take beyond the sample interval (a slow but successful read); two samples
     * further apart than both had failed ones between them.
     */
    private static final Duration SAMPLE_SLACK = Duration.ofSeconds(4);

    PoolBacklog(
            ModelPool pool, Admission config, MeterRegistry metrics, StartPredictions predictions) {
        this.pool = pool;
        this.config = config;
        this.group = pool.isDefault() ? config.consumerGroup() : pool.group();
        this.predictions = predictions;
        this.estimate =
                new DrainEstimate(
                        config.rateWindow(),
                        config.rateWindow().dividedBy(3),
                        config.sampleInterval().plus(SAMPLE_SLACK));
        for (Priority lane : Priority.values()) {
            backlogs.put(lane, new LaneBacklog());
            offered.put(lane, new Offered(new LongAdder(), new LongAdder(), new LongAdder()));
        }
        BacklogGauges.register(this, metrics);
    }

    /**
     * Refuses a new {@code job} (503 + Retry-After) when the jobs ahead of it in its lane's own
     * topic would take longer than {@code limit} (capped by the configured maximum) to drain, or
     * longer than its deadline. A job that then goes to the overflow topic is checked again with
     * {@link #admitOverflow}; either is counted with {@link #accepted}.
     *
     * @return the wait predicted before its scoring starts; empty while no rate is known
     */
    public Optional<Duration> admit(Duration limit, RerankJob job) {
        Offered o = offered.get(job.lane());
        o.jobs().increment();
        o.pairs().add(job.cost().pairs());
        o.tokens().add(job.cost().tokens());
        return check(limit, job, ahead(job.lane()));
    }

    /**
     * As {@link #admit}, for a job going to its lane's overflow topic: every job of its lane's own
     * topics and overflow topics (both lanes' for a batch job) is ahead of it.
     */
    public Optional<Duration> admitOverflow(Duration limit, RerankJob job) {
        return check(limit, job, ahead(job.lane(), LaneBacklog::all));
    }

    /** Counts an accepted job towards its topic's backlog until the next sample. */
    public void accepted(Priority lane, boolean overflow) {
        backlogs.get(lane).accepted(overflow);
    }

    private Optional<Duration> check(Duration limit, RerankJob job, long backlog) {
        double announcedJobs = announcedRate(job.lane(), job.cost());
        OptionalDouble rate = drainRate(estimate.rate(), announcedJobs);
        if (!config.enabled() || !fresh() || rate.isEmpty()) {
            return Optional.empty();
        }
        Duration max = limit.compareTo(config.maxBacklog()) < 0 ? limit : config.maxBacklog();
        if (backlog >= config.minBacklogJobs()) {
            Duration retryAfter =
                    retryAfter(backlog, rate.getAsDouble(), max, config.maxRetryAfter());
            if (!retryAfter.isZero()) {
                throw RefusedException.backlogFull(backlog, rate.getAsDouble(), max, retryAfter);
            }
        }
        // both rates are lower bounds of the workers' capacity (below it, the committed rate is
        // the load); the faster one predicts best how soon the work ahead is done
        double fastest = Math.max(rate.getAsDouble(), announcedJobs);
        if (fastest <= 0) {
            return Optional.empty(); // nothing drains: refused above past min-backlog-jobs
        }
        // what is still waiting now: the sample counts finished work not yet committed, and the
        // workers went on draining since it was taken
        double drained =
                fastest * (System.nanoTime() - sampledAt + config.commitLag().toNanos()) / 1e9;
        long waiting = Math.max(0, backlog - (long) drained);
        Duration raw = Duration.ofMillis((long) Math.ceil(waiting * 1000 / fastest));
        Duration wait = predictions.corrected(pool, raw);
        Duration latest = predictions.latest(pool, raw);
        Long deadlineMs = job.request().deadlineMs();
        if (deadlineMs != null && waiting > 0 && latest.toMillis() > deadlineMs) {
            throw RefusedException.deadlineUnmeetable(
                    deadlineMs,
                    latest,
                    retryAfter(
                            waiting,
                            fastest,
                            Duration.ofMillis(deadlineMs),
                            config.maxRetryAfter()));
        }
        predictions.predicted(job.id(), pool, raw);
        return Optional.of(wait);
    }

    /**
     * Zero when {@code backlog} jobs drain within {@code limit} at {@code rate} jobs/s; otherwise
     * how long until they would (whole seconds, at least 1, at most {@code maxRetryAfter}; the
     * maximum when nothing drains).
     */
    static Duration retryAfter(long backlog, double rate, Duration limit, Duration maxRetryAfter) {
        double limitSeconds = limit.toMillis() / 1000.0;
        if (rate > 0 && backlog / rate <= limitSeconds) {
            return Duration.ZERO;
        }
        double seconds = rate > 0 ? backlog / rate - limitSeconds : Double.POSITIVE_INFINITY;
        return Duration.ofSeconds(
                (long) Math.max(1, Math.ceil(Math.min(seconds, maxRetryAfter.toSeconds()))));
    }

    /**
     * Jobs per second the backlog ahead of a new job of {@code lane} drains at: the rate measured
     * from committed offsets once known, until then the workers' announced capacity over the mean
     * size of the jobs ahead ({@code cost}, the new job's, when this gateway has seen none of their
     * lane): charged tokens per second over the mean charged tokens per job, or, for a worker that
     * announces no tokens, pairs per second over the mean pairs per job.
     */
    OptionalDouble drainRate(Priority lane, JobCost cost) {
        return drainRate(estimate.rate(), announcedRate(lane, cost));
    }

    /** The {@code measured} rate once known, else the announced one ({@code announcedJobs} > 0). */
    private static OptionalDouble drainRate(OptionalDouble measured, double announcedJobs) {
        return measured.isPresent() || announcedJobs <= 0
                ? measured
                : OptionalDouble.of(announcedJobs);
    }

    /**
     * The workers' announced capacity in jobs per second of the size of those waiting ahead of a
     * job of {@code lane} (see {@link #drainRate}); 0 when none is announced or counted.
     */
    private double announcedRate(Priority lane, JobCost cost) {
        AnnouncedCapacity workers = config.announcedCapacity() ? announced : AnnouncedCapacity.NONE;
        double tokensPerSecond = workers.tokensPerSecond();
        double pairsPerSecond = workers.pairsOnlyPerSecond();
        if (tokensPerSecond + pairsPerSecond <= 0) {
            return 0;
        }
        long jobs = 0;
        double pairsAhead = 0;
        double tokensAhead = 0;
        for (Priority l : Priority.values()) {
            if (lane == Priority.BATCH || l == Priority.INTERACTIVE) {
                long waiting = laneBacklog(l);
                Offered o = offered.get(l);
                jobs += waiting;
                pairsAhead += waiting * orElse(o.mean(o.pairs()), cost.pairs());
                tokensAhead += waiting * orElse(o.mean(o.tokens()), cost.tokens());
            }
        }
        if (jobs == 0) { // nothing ahead: jobs the size of this one
            jobs = 1;
            pairsAhead = Math.max(1, cost.pairs());
            tokensAhead = Math.max(1, cost.tokens());
        }
        return jobs * (tokensPerSecond / tokensAhead + pairsPerSecond / pairsAhead);
    }

    /**
     * The most pairs one tenant's queued and running jobs may hold: {@code share} of the pairs the
     * workers drain within the backlog limit, at the measured drain rate (jobs per second times the
     * mean pairs per job offered) or, until one is measured, the workers' announced pairs per
     * second; 0 (no limit) while admission is off, the share is 0 or no rate is known.
     */
    public long tenantPairsLimit(double share) {
        return share <= 0 ? 0 : pairsDrainedIn(share * config.maxBacklog().toMillis() / 1000.0);
    }

    /**
     * Pairs the workers drain in {@code seconds} (at least 1), at the rate {@link
     * #tenantPairsLimit} uses; 0 while admission is off or no rate is known.
     */
    public long pairsDrainedIn(double seconds) {
        if (!config.enabled()) {
            return 0;
        }
        OptionalDouble measured = estimate.rate();
        double pairsPerSecond;
        if (measured.isPresent()) {
            long jobs = 0;
            long pairs = 0;
            for (Offered o : offered.values()) {
                jobs += o.jobs().sum();
                pairs += o.pairs().sum();
            }
            pairsPerSecond = jobs == 0 ? 0 : measured.getAsDouble() * pairs / jobs;
        } else {
            pairsPerSecond = config.announcedCapacity() ? announced.pairsPerSecond() : 0;
        }
        if (pairsPerSecond <= 0) {
            return 0;
        }
        return Math.max(1, (long) (seconds * pairsPerSecond));
    }

    /** {@code mean}, or {@code otherwise} (at least 1) when no job was seen. */
    private static double orElse(double mean, long otherwise) {
        return Math.max(1e-9, Double.isNaN(mean) ? Math.max(1, otherwise) : mean);
    }

    /** The lane's jobs waiting times the mean of {@code what} per job offered; NaN when unknown. */
    double laneWork(Priority lane, Function<Offered, LongAdder> what) {
        Offered o = offered.get(lane);
        return fresh() ? laneBacklog(lane) * o.mean(what.apply(o)) : Double.NaN;
    }

    /**
     * Estimated wait of a new job of {@code lane} before scoring starts, when backlog and rate are
     * known.
     */
    public Optional<Duration> estimatedWait(Priority lane) {
        OptionalDouble rate = drainRate(lane, new JobCost(1, JobCost.PROMPT_TOKENS));
        if (!fresh() || rate.isEmpty() || rate.getAsDouble() <= 0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis((long) (ahead(lane) * 1000 / rate.getAsDouble())));
    }

    long laneBacklog(Priority lane) {
        return backlogs.get(lane).own();
    }

    /**
     * Jobs a new job of {@code lane} waits for: interactive ones only, or, for a batch job, both
     * lanes.
     */
    private long ahead(Priority lane) {
        return ahead(lane, LaneBacklog::own);
    }

    /** As {@link #ahead(Priority)}, counting each lane's jobs with {@code waiting}. */
    private long ahead(Priority lane, ToLongFunction<LaneBacklog> waiting) {
        long interactive = waiting.applyAsLong(backlogs.get(Priority.INTERACTIVE));
        return lane == Priority.BATCH
                ? interactive + waiting.applyAsLong(backlogs.get(Priority.BATCH))
                : interactive;
    }

    boolean fresh() {
        return sampledAt != 0
                && System.nanoTime() - sampledAt
                        < config.sampleInterval().multipliedBy(10).toNanos();
    }

    /**
     * Takes a sample: the pool's workers' capacity announcements ({@code workers}, empty when
     * unreadable) and its consumer group's lag.
     */
    void sample(Map<String, String> workers, ConsumerGroupLag lag) throws Exception {
        long now = System.currentTimeMillis();
        announced =
                AnnouncedCapacity.of(
                        workers.values().stream()
                                .map(ScorerCapacityAnnouncement::parse)
                                .flatMap(Optional::stream)
                                .filter(a -> a.freshAt(now, CAPACITY_FRESH_MS))
                                .toList());
        ConsumerGroupLag.Reading reading = lag.read(pool, group);
        long total = 0;
        for (Priority lane : Priority.values()) {
            backlogs.get(lane).sampled(reading.of(lane), reading.overflowOf(lane));
            total += reading.of(lane) + reading.overflowOf(lane);
        }
        estimate.sample(System.nanoTime(), total, reading.position());
        sampledAt = System.nanoTime();
    }
}
