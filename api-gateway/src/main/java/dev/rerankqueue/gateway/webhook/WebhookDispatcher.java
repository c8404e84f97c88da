package dev.rerankqueue.gateway.webhook;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.config.Webhooks;
import dev.rerankqueue.gateway.store.BatchStore;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.gateway.store.RedisScripts;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.RedisKeys;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Delivers completion webhooks from the tenants' outboxes that every terminal write fills ({@link
 * RedisKeys#WEBHOOKS_DUE_OF_PREFIX}), taking one due delivery from each tenant in turn, so a tenant
 * with thousands of deliveries to a failing receiver delays no other tenant's. Each gateway claims
 * due deliveries for a lease (so two gateways do not send the same one at once, and a gateway that
 * dies mid-delivery leaves it to another), POSTs the job's view signed with the tenant's secret
 * ({@link WebhookSignature}), and then marks it delivered (any 2xx), failed (410 Gone, a target no
 * longer allowed, or still failing {@code rerank.webhooks.give-up-after} after the first attempt)
 * or due again after an exponential backoff. Delivery is at least once: a receiver de-duplicates by
 * {@code webhook-id}, which is the same on every attempt.
 */
@ApplicationScoped
public class WebhookDispatcher {

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);

    private static final Duration REDIS_WAIT = Duration.ofSeconds(5);

    private final Webhooks config;
    private final WebhookTargets targets;
    private final WebhookPayloads payloads;
    private final JobStore store;
    private final BatchStore batches;
    private final ReactiveRedisDataSource redis;
    private final MeterRegistry metrics;
    private final Semaphore slots;
    private final WebhookSender sender;
    private final DeliveryTurns turns;
    private ScheduledExecutorService ticker;
    private ExecutorService senders;

    public WebhookDispatcher(
            GatewayConfig config,
            WebhookTargets targets,
            WebhookSecrets secrets,
            WebhookPayloads payloads,
            JobStore store,
            BatchStore batches,
            ReactiveRedisDataSource redis,
            MeterRegistry metrics,
            Vertx vertx) {
        this.config = config.webhooks();
        this.targets = targets;
        this.payloads = payloads;
        this.store = store;
        this.batches = batches;
        this.redis = redis;
        this.metrics = metrics;
        this.slots = new Semaphore(Math.max(1, this.config.maxInFlight()));
        this.turns = new DeliveryTurns(this.config, redis, metrics);
        this.sender =
                new WebhookSender(
                        this.config,
                        targets,
                        secrets,
                        new WebhookTransport(
                                vertx,
                                this.config.timeout(),
                                Math.max(1, this.config.maxInFlight())));
    }

    void start(@Observes StartupEvent e) {
        if (!config.enabled()) {
            return;
        }
        senders =
                Executors.newFixedThreadPool(
                        Math.max(1, config.maxInFlight()), daemon("webhook-sender"));
        ticker = Executors.newSingleThreadScheduledExecutor(daemon("webhook-dispatcher"));
        long every = Math.max(10, config.pollInterval().toMillis());
        ticker.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent e) {
        if (ticker != null) {
            ticker.shutdownNow();
            senders.shutdownNow();
        }
        sender.close();
    }

    /** A delivery this gateway leased: its id, and the outbox it came from. */
    private record Claimed(String id, String outbox) {}

    /**
     * Claims as many due deliveries as there are free slots, one from each tenant in turn, and
     * sends each on its own thread.
     */
    void tick() {
        watchBatches();
        try {
            int free = slots.availablePermits();
            if (free == 0) {
                return;
            }
            long now = System.currentTimeMillis();
            long lease = now + config.timeout().toMillis() * 2 + 30_000;
            Response due =
                    RedisScripts.eval(
                                    redis,
                                    WebhookScripts.CLAIM_IN_TURN,
                                    "2",
                                    RedisKeys.WEBHOOK_TENANTS,
                                    RedisKeys.WEBHOOKS_DUE,
                                    Long.toString(now),
                                    Integer.toString(free),
                                    Long.toString(lease),
                                    RedisKeys.WEBHOOKS_DUE_OF_PREFIX)
                            .await()
                            .atMost(REDIS_WAIT);
            for (int i = 0; i + 1 < due.size(); i += 2) {
                Claimed claimed = new Claimed(due.get(i).toString(), due.get(i + 1).toString());
                slots.acquireUninterruptibly();
                senders.execute(
                        () -> {
                            try {
                                deliver(claimed);
                            } catch (RuntimeException ex) {
                                // left leased: tried again once the lease ends
                                LOG.warnf("webhook %s not sent: %s", claimed.id(), ex.toString());
                            } finally {
                                slots.release();
                            }
                        });
            }
        } catch (RuntimeException ex) {
            LOG.debugf("webhook outbox not read this time: %s", ex.toString());
        }
    }

    /**
     * Looks at the batches with a webhook that are due a look (each at most every {@code
     * rerank.webhooks.batch-check-interval}, claimed like deliveries); one whose jobs have all
     * ended has its delivery queued, one that is gone is forgotten.
     */
    private void watchBatches() {
        try {
            long now = System.currentTimeMillis();
            Response due =
                    RedisScripts.eval(
                                    redis,
                                    WebhookScripts.LEASE_DUE,
                                    "1",
                                    RedisKeys.WEBHOOK_BATCHES,
                                    Long.toString(now),
                                    "16",
                                    Long.toString(now + config.batchCheckInterval().toMillis()))
                            .await()
                            .atMost(REDIS_WAIT);
            for (Response r : due) {
                String id = r.toString();
                BatchStore.Batch batch = batches.load(id).await().atMost(REDIS_WAIT);
                List<JobStatus> statuses =
                        batch == null
                                ? List.of()
                                : batches.statuses(batch.jobIds()).await().atMost(REDIS_WAIT);
                // a job whose state is gone can no longer change: it counts as ended
                if (batch == null || statuses.stream().allMatch(s -> s == null || s.isTerminal())) {
                    RedisScripts.eval(
                                    redis,
                                    WebhookScripts.BATCH_ENDED,
                                    "2",
                                    RedisKeys.WEBHOOK_BATCHES,
                                    RedisKeys.WEBHOOK_TENANTS,
                                    id,
                                    batch == null ? "" : RedisKeys.BATCH_WEBHOOK_PREFIX + id,
                                    Long.toString(now),
                                    batch == null ? "" : RedisKeys.webhooksDueOf(batch.tenant()),
                                    RedisKeys.WEBHOOKS_DUE_OF_PREFIX)
                            .await()
                            .atMost(REDIS_WAIT);
                }
            }
        } catch (RuntimeException ex) {
            LOG.debugf("batches with webhooks not looked at this time: %s", ex.toString());
        }
    }

    private void deliver(Claimed due) {
        String id = due.id();
        if (id.startsWith(RedisKeys.BATCH_WEBHOOK_PREFIX)) {
            deliverBatch(due, id.substring(RedisKeys.BATCH_WEBHOOK_PREFIX.length()));
            return;
        }
        List<String> fields =
                hmget(
                        RedisKeys.job(id),
                        JobFields.WEBHOOK,
                        JobFields.TENANT,
                        JobFields.WEBHOOK_ATTEMPTS,
                        JobFields.WEBHOOK_FIRST_ATTEMPT_AT);
        if (fields.get(1) != null && !turns.take(due.outbox(), id, fields.get(1), fields.get(0))) {
            return;
        }
        String outcome = null;
        try {
            outcome = deliverJob(due, fields);
        } finally {
            if (fields.get(1) != null) {
                turns.give(fields.get(1), fields.get(0), outcome);
            }
        }
    }

    /** The attempt's outcome, or null when none was made. */
    private String deliverJob(Claimed due, List<String> fields) {
        String id = due.id();
        JobState state = store.find(id).await().atMost(REDIS_WAIT);
        if (fields.get(0) == null || state == null) {
            settle(due, RedisKeys.job(id), "failed", 0, 0, 0); // the job is gone: nothing to say
            return null;
        }
        String eventId = eventId(id, state);
        String outcome =
                sender.attempt(
                        fields.get(0), fields.get(1), id, eventId, payloads.of(eventId, state));
        finish(due, RedisKeys.job(id), fields, outcome);
        return outcome;
    }

    /** Announces that every job of batch {@code id} has ended. */
    private void deliverBatch(Claimed due, String id) {
        List<String> fields =
                hmget(
                        RedisKeys.batch(id),
                        JobFields.WEBHOOK,
                        JobFields.TENANT,
                        JobFields.WEBHOOK_ATTEMPTS,
                        JobFields.WEBHOOK_FIRST_ATTEMPT_AT);
        BatchStore.Batch batch = batches.load(id).await().atMost(REDIS_WAIT);
        if (fields.get(0) == null || batch == null) {
            settle(due, RedisKeys.batch(id), "failed", 0, 0, 0);
            return;
        }
        if (!turns.take(due.outbox(), due.id(), batch.tenant(), fields.get(0))) {
            return;
        }
        String outcome = null;
        try {
            List<JobStatus> statuses = batches.statuses(batch.jobIds()).await().atMost(REDIS_WAIT);
            String eventId = "batch_" + id + "_completed";
            outcome =
                    sender.attempt(
                            fields.get(0),
                            fields.get(1),
                            "batch " + id,
                            eventId,
                            payloads.ofBatch(eventId, batch, statuses));
            finish(due, RedisKeys.batch(id), fields, outcome);
        } finally {
            turns.give(batch.tenant(), fields.get(0), outcome);
        }
    }

    /**
     * Records an attempt's {@code outcome} on the hash at {@code key} (the job's or the batch's)
     * and settles delivery {@code due}: done, given up, or due again after the backoff.
     */
    private void finish(Claimed due, String key, List<String> fields, String outcome) {
        long now = System.currentTimeMillis();
        int attempts = (int) parse(fields.get(2)) + 1;
        long first = fields.get(3) == null ? now : parse(fields.get(3));
        if (outcome.equals("retry") && now - first >= config.giveUpAfter().toMillis()) {
            outcome = "failed";
        }
        if (outcome.equals("failed")) {
            LOG.warnf(
                    "webhook %s given up after %d attempts (host %s)",
                    due.id(), attempts, URI.create(fields.get(0)).getHost());
        }
        metrics.counter("rerank.webhooks", "outcome", outcome).increment();
        settle(due, key, outcome, now + backoff(attempts), attempts, first);
    }

    /** The message id: the same on every attempt for one terminal state of one job. */
    static String eventId(String jobId, JobState state) {
        return "job_" + jobId + "_" + state.status().wireName();
    }

    /** Wait after the {@code attempts}-th failed attempt: doubling, capped, ±20 % jitter. */
    long backoff(int attempts) {
        double base =
                Math.min(
                        config.maxBackoff().toMillis(),
                        config.initialBackoff().toMillis()
                                * Math.pow(2, Math.min(30, attempts - 1)));
        return (long) (base * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    }

    private void settle(
            Claimed due, String key, String outcome, long nextDue, int attempts, long first) {
        RedisScripts.eval(
                        redis,
                        WebhookScripts.SETTLE,
                        "3",
                        due.outbox(),
                        key,
                        RedisKeys.WEBHOOK_TENANTS,
                        due.id(),
                        outcome,
                        Long.toString(nextDue),
                        Integer.toString(attempts),
                        Long.toString(first),
                        RedisKeys.WEBHOOKS_DUE_OF_PREFIX)
                .await()
                .atMost(REDIS_WAIT);
    }

    private List<String> hmget(String key, String... fields) {
        String[] args = new String[fields.length + 1];
        args[0] = key;
        System.arraycopy(fields, 0, args, 1, fields.length);
        Response r = redis.execute("HMGET", args).await().atMost(REDIS_WAIT);
        List<String> out = new ArrayList<>(fields.length);
        for (Response v : r) {
            out.add(v == null ? null : v.toString());
        }
        return out;
    }

    private static long parse(String s) {
        return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
