package dev.rerankqueue.gateway.config;

import dev.rerankqueue.messaging.Topics;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * Admission control on the backlog: new jobs are refused (503 + Retry-After) while the jobs already
 * waiting would take longer than {@link #maxBacklog()} to drain at the drain rate measured from the
 * workers' committed offsets (until that is known, at the capacity the workers announce).
 */
public interface Admission {
    /** Default true. */
    @WithDefault("true")
    boolean enabled();

    /**
     * Longest estimated wait at which a job is still accepted. Sync calls use their own timeout if
     * shorter. Default 5m.
     */
    @WithDefault("5m")
    Duration maxBacklog();

    /**
     * Work of one tenant kept in its lane's own topic, as time of the workers' drain: a job that
     * would take its tenant's queued and running pairs past this goes to the lane's overflow topic
     * ({@code rerank.jobs.overflow}, {@code rerank.jobs.batch.overflow}), which the workers read
     * beside the lane's own and score in the same lane, taking turns by tenant. So another tenant's
     * job waits in the topic behind at most each tenant's front, never behind one tenant's flood.
     * Only with more than one tenant and a known drain rate (as {@code
     * rerank.quotas.max-backlog-share}); 0 keeps every job in its lane's own topic. Default 1s.
     */
    @WithDefault("1s")
    Duration frontBacklog();

    /**
     * Finished work the workers' committed offsets still count as waiting, as time of their drain:
     * half their commit interval ({@code auto.commit.interval.ms}, 500 ms). Taken off the backlog,
     * with what drained since the last sample, when the start of a new job is predicted and its
     * deadline checked. Default 250ms.
     */
    @WithDefault("250ms")
    Duration commitLag();

    /**
     * Whether the wait predicted from the backlog is corrected by how far recent predictions fell
     * from the real starts of this gateway's jobs (their claims, seen on the job-events channel):
     * the lag also counts work the workers finished but have not acknowledged yet, an amount that
     * depends on the load. False promises the uncorrected prediction. Default true.
     */
    @WithDefault("true")
    boolean learnStartError();

    /**
     * A job's {@code deadline_ms} is checked against its corrected predicted wait plus this many
     * mean deviations of recent predictions from the real starts (as a retransmission timer adds
     * four to the smoothed round-trip time): more refuses more jobs at the edge of their deadline,
     * fewer lets more of those accepted expire. Only with {@link #learnStartError()}. Default 4.
     */
    @WithDefault("4")
    double deadlineDeviations();

    /**
     * Never refuse while fewer jobs than this wait: a handful of jobs says little about the wait.
     * Default 100.
     */
    @WithDefault("100")
    long minBacklogJobs();

    /**
     * Whether, until the drain rate is measured, the workers' announced capacity stands in for it
     * (refusing a burst from its first second); false waits for the measured rate. Default true.
     */
    @WithDefault("true")
    boolean announcedCapacity();

    /** How often the consumer group's lag and committed offsets are read. Default 1s. */
    @WithDefault("1s")
    Duration sampleInterval();

    /**
     * Busy time (time with a backlog) over which the drain rate is averaged; a third of it is
     * needed before any refusal. Default 30s.
     */
    @WithDefault("30s")
    Duration rateWindow();

    /** The workers' consumer group. Default {@value Topics#WORKER_GROUP}. */
    @WithDefault(Topics.WORKER_GROUP)
    String consumerGroup();

    /** Upper bound of the computed Retry-After. Default 60s. */
    @WithDefault("60s")
    Duration maxRetryAfter();

    /**
     * Share of Redis's {@code maxmemory} at which new jobs are refused (503 storage-full), so that
     * Redis never refuses the state writes of jobs already accepted. Default 0.9.
     */
    @WithDefault("0.9")
    double storageHighWater();

    /** How often Redis's memory is read for {@link #storageHighWater()}. Default 1s. */
    @WithDefault("1s")
    Duration storageCheckInterval();

    /**
     * Most submissions this gateway handles at once (between reading the request and answering it);
     * one more is refused at once with 503 {@code overloaded} and Retry-After, rather than queued
     * behind the others until every caller times out. The limit in force adapts below this to
     * {@link #acceptLatencyTarget()}. Default 512.
     */
    @WithDefault("512")
    int maxInFlightSubmissions();

    /**
     * Accept latency the in-flight limit adapts to: it starts at {@link
     * #initialInFlightSubmissions()} (by default the maximum) and, below the maximum, doubles after
     * each second whose mean accept was faster than this (while at least half of the limit was in
     * use), until a second is slower or the maximum is reached; from then on, once a second, it
     * shrinks by a quarter when that second's mean accept was slower than this and grows by one
     * when it was faster, never below {@link #minInFlightSubmissions()}; 0 = a fixed limit of
     * {@link #maxInFlightSubmissions()}. Default 100ms.
     */
    @WithDefault("100ms")
    Duration acceptLatencyTarget();

    /**
     * The adaptive in-flight limit never goes below this: so many clients each waiting for its
     * answer are never refused as overload, however slow the accepts. Default 64.
     */
    @WithDefault("64")
    int minInFlightSubmissions();

    /**
     * The in-flight limit a gateway starts with (slow start, see {@link #acceptLatencyTarget()});
     * default: {@link #maxInFlightSubmissions()}, so that a burst at a gateway that has just
     * started is taken whole (peak shaving). A gateway that has just started runs its first accepts
     * on code its JIT has not compiled yet: a first wave of the maximum is accepted, but answered
     * up to seconds late (on 16 cores every one of the first 512 of a flood at 2,048 connections
     * came after more than 1 s). A lower start answers a flood promptly (most of it 503 with
     * Retry-After) and doubles each second its accepts stay fast, at the price of refusing the part
     * of a first burst above it.
     */
    OptionalInt initialInFlightSubmissions();

    /**
     * Most of the in-flight limit one tenant's submissions may hold at once (at least one place):
     * past it that tenant's next submission is a 429 at once, so that one tenant whose accepts are
     * slow (large bodies, a saturated store) cannot take every place and have every other tenant
     * refused as {@code overloaded}. Applies only where API keys name two or more tenants; 1 = no
     * share. Default 0.5.
     */
    @WithDefault("0.5")
    double maxTenantSubmissionShare();

    /**
     * Most of a lane's Kafka producer buffer ({@code buffer.memory} of that lane's producer, 32 MiB
     * by default) one tenant's jobs may hold on their way to Kafka, counted in encoded bytes from
     * the send to the broker's acknowledgement: past it that tenant's next job of the lane is a 429
     * at once, so that one tenant's large jobs or uploads cannot fill the buffer and have every
     * other tenant's sends wait and fail as {@code queue-unavailable}. A tenant sending nothing may
     * send one job of any size. Applies only where API keys name two or more tenants; 1 = no share.
     * Default 0.5.
     */
    @WithDefault("0.5")
    double maxTenantSendShare();

    /**
     * Longest wait for the tenant's quota check in Redis: past it the submission is refused (503
     * {@code overloaded}, nothing taken) rather than held while Redis is saturated. Long enough for
     * a burst at a cold gateway, where the check waits behind the burst's other submissions.
     * Default 5s.
     */
    @WithDefault("5s")
    Duration storeDeadline();
}
