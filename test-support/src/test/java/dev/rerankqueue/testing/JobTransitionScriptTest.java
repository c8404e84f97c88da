package dev.rerankqueue.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.store.JobEvent;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.LuaScripts;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.TransitionOutcome;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The compare-and-set script against a real redis-server: the guarantees every writer relies on.
 */
class JobTransitionScriptTest {

    private static RedisServerProcess server;
    private static Vertx vertx;
    private static RedisAPI redis;
    private static final List<JobEvent> events = new CopyOnWriteArrayList<>();
    private static final List<String> published = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        server = new RedisServerProcess().start();
        vertx = Vertx.vertx();
        Redis client = Redis.createClient(vertx, server.url());
        redis = RedisAPI.api(client);
        RedisConnection sub = sync(client.connect());
        sub.handler(
                msg -> {
                    if (msg.size() == 3 && "message".equals(msg.get(0).toString())) {
                        events.add(JobEvent.parse(msg.get(2).toString()));
                        published.add(msg.get(2).toString());
                    }
                });
        sync(sub.send(Request.cmd(Command.SUBSCRIBE).arg(RedisKeys.JOB_EVENTS_CHANNEL)));
    }

    @AfterAll
    static void stop() {
        vertx.close();
        server.close();
    }

    private static <T> T sync(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static TransitionOutcome run(JobTransition t) throws Exception {
        Response r = sync(redis.eval(List.of(t.evalArgs())));
        return t.outcome(r);
    }

    private static Map<String, String> hash(String id) throws Exception {
        Response r = sync(redis.hgetall(RedisKeys.job(id)));
        Map<String, String> out = new HashMap<>();
        for (String k : r.getKeys()) {
            out.put(k, r.get(k).toString());
        }
        return out;
    }

    /**
     * A tenant's job index loses the jobs whose state expired as new jobs arrive, not only when a
     * list happens to walk over them: 300 gone, 300 more created, and the index holds far fewer
     * than 600.
     */
    @Test
    void aTenantsJobIndexDropsExpiredJobsAsNewOnesArrive() throws Exception {
        String tenant = "trim-" + UUID.randomUUID();
        long now = System.currentTimeMillis();
        List<String> gone = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String id = UUID.randomUUID().toString();
            run(
                    JobTransition.create(
                                    id,
                                    JobStatus.QUEUED,
                                    Map.of(
                                            JobFields.TENANT,
                                            tenant,
                                            JobFields.CREATED_AT,
                                            Long.toString(now + i)))
                            .retainFor(Duration.ofHours(1)));
            gone.add(RedisKeys.job(id));
        }
        sync(redis.del(gone));
        for (int i = 0; i < 300; i++) {
            run(
                    JobTransition.create(
                                    UUID.randomUUID().toString(),
                                    JobStatus.QUEUED,
                                    Map.of(
                                            JobFields.TENANT,
                                            tenant,
                                            JobFields.CREATED_AT,
                                            Long.toString(now + 300 + i)))
                            .retainFor(Duration.ofHours(1)));
        }
        long indexed = sync(redis.zcard(RedisKeys.tenantJobs(tenant))).toLong();
        assertTrue(indexed < 400, "the index of 300 stored jobs holds " + indexed);
    }

    @Test
    void createsOnceAndNeverOverwritesAnExistingJob() throws Exception {
        String id = UUID.randomUUID().toString();
        TransitionOutcome first =
                run(
                        JobTransition.create(id, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme"))
                                .retainFor(Duration.ofHours(1)));
        assertTrue(first.applied());
        assertEquals(1, first.version());
        long ttl = sync(redis.ttl(RedisKeys.job(id))).toLong();
        assertTrue(ttl > 3500 && ttl <= 3600, "ttl " + ttl);

        TransitionOutcome second =
                run(JobTransition.create(id, JobStatus.QUEUED, Map.of(JobFields.TENANT, "other")));
        assertFalse(second.applied());
        assertEquals(JobStatus.QUEUED, second.status());
        assertEquals("acme", hash(id).get(JobFields.TENANT));
    }

    @Test
    void aJobsEndQueuesItsWebhookInItsTenantsOutboxAlsoWhenRestoredAfterRedisLostIt()
            throws Exception {
        String hooked = UUID.randomUUID().toString();
        String plain = UUID.randomUUID().toString();
        String outbox = RedisKeys.webhooksDueOf("acme");
        run(
                JobTransition.create(
                        hooked,
                        JobStatus.QUEUED,
                        Map.of(JobFields.TENANT, "acme", JobFields.WEBHOOK, "https://h.test/x")));
        run(JobTransition.create(plain, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme")));
        run(JobTransition.to(hooked, JobStatus.RUNNING));
        assertTrue(sync(redis.zscore(outbox, hooked)) == null, "running is not an end");
        long before = System.currentTimeMillis();
        assertTrue(run(JobStateChanges.cancelledByClient(hooked, before, Duration.ZERO)).applied());
        assertTrue(run(JobStateChanges.cancelledByClient(plain, before, Duration.ZERO)).applied());
        Response due = sync(redis.zscore(outbox, hooked));
        assertTrue(due != null, "the end of a job with a webhook is queued");
        assertTrue(Math.abs(due.toLong() - before) < 5_000, "due now: " + due + " vs " + before);
        assertTrue(sync(redis.zscore(outbox, plain)) == null, "no webhook");
        assertEquals(
                due.toLong(),
                sync(redis.zscore(RedisKeys.WEBHOOK_TENANTS, "acme")).toLong(),
                "the tenants' index holds the outbox's earliest due time");
        assertTrue(
                sync(redis.zscore(RedisKeys.WEBHOOKS_DUE, hooked)) == null,
                "nothing is written to the outbox of older releases");

        // Redis loses both; the results topic gives them back, and the webhook is due again
        sync(redis.del(List.of(RedisKeys.job(hooked), RedisKeys.job(plain), outbox)));
        for (String id : List.of(hooked, plain)) {
            JobState lost =
                    JobFields.toState(
                            id,
                            Map.of(
                                    JobFields.STATUS, "cancelled",
                                    JobFields.VERSION, "3",
                                    JobFields.TENANT, "acme",
                                    JobFields.CREATED_AT, Long.toString(before),
                                    JobFields.FINISHED_AT, Long.toString(before)));
            if (id.equals(hooked)) {
                lost =
                        JobCodec.decodeState(
                                JobCodec.encodeState(withWebhook(lost, "https://h.test/x")));
            }
            assertTrue(run(JobStateChanges.restored(lost, Duration.ofHours(1))).applied());
        }
        assertTrue(sync(redis.zscore(outbox, hooked)) != null, "a restored end is announced again");
        assertTrue(sync(redis.zscore(outbox, plain)) == null, "no webhook");
    }

    private static JobState withWebhook(JobState s, String url) {
        return new JobState(
                s.id(),
                s.status(),
                s.version(),
                s.tenant(),
                s.model(),
                s.createdAt(),
                s.startedAt(),
                s.finishedAt(),
                s.attempts(),
                s.pairs(),
                s.scoredPairs(),
                s.worker(),
                s.error(),
                s.result(),
                s.metadata(),
                s.expiresAt(),
                new JobState.Webhook(url, "pending", 0),
                s.deadlineAt(),
                s.predictedStartAt());
    }

    /**
     * Gateways read the job id of every event without parsing it, in the form the script's cjson
     * writes.
     */
    @Test
    void theJobIdOfAPublishedEventIsReadWithoutParsingIt() throws Exception {
        String id = UUID.randomUUID().toString();
        run(JobTransition.create(id, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme")));
        run(JobTransition.to(id, JobStatus.RUNNING));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> published.stream().filter(m -> m.contains(id)).count() == 2);
        published.stream()
                .filter(m -> m.contains(id))
                .forEach(m -> assertEquals(id, JobEvent.idOf(m), m));
        assertEquals(null, JobEvent.idOf("{\"status\":\"queued\"}"));
    }

    /**
     * Scripts run by SHA-1: a Redis that does not have the script (restarted, or SCRIPT FLUSH)
     * answers NOSCRIPT, which is recognised, and has it after one EVAL.
     */
    @Test
    void aScriptRunsBySha1OnceRedisHasItsSource() throws Exception {
        String id = UUID.randomUUID().toString();
        String[] args =
                JobTransition.create(id, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme"))
                        .evalArgs();
        sync(redis.script(List.of("FLUSH")));
        Exception refused =
                assertThrows(
                        Exception.class,
                        () -> sync(redis.evalsha(List.of(LuaScripts.bySha(args)))));
        assertTrue(LuaScripts.notLoaded(refused), refused.toString());
        assertTrue(TransitionOutcome.fromReply(sync(redis.eval(List.of(args)))).applied());
        TransitionOutcome again =
                TransitionOutcome.fromReply(
                        sync(
                                redis.evalsha(
                                        List.of(
                                                LuaScripts.bySha(
                                                        JobTransition.to(id, JobStatus.RUNNING)
                                                                .evalArgs())))));
        assertTrue(again.applied(), "the same script by its SHA-1, now known");
        assertEquals(JobStatus.RUNNING, again.status());
    }

    /**
     * Many writes in one call: each applies or loses on its own, as it would alone, and the reply
     * does not carry back what the write itself set (a result would travel twice).
     */
    @Test
    void manyWritesInOneCallEachApplyOrLoseOnTheirOwn() throws Exception {
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        String gone = UUID.randomUUID().toString();
        run(JobTransition.create(a, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme")));
        run(JobTransition.create(b, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme")));
        run(JobTransition.to(b, JobStatus.CANCELLED).set(JobFields.FINISHED_AT, 5));
        String big = "x".repeat(10_000);
        List<JobTransition> writes =
                List.of(
                        JobTransition.to(a, JobStatus.RUNNING).set(JobFields.ERROR, big),
                        JobTransition.to(b, JobStatus.RUNNING),
                        JobTransition.to(gone, JobStatus.RUNNING));
        List<JobTransition.Call> calls = JobTransition.calls(writes, 1_000_000);
        assertEquals(1, calls.size());
        Response reply = sync(redis.eval(List.of(calls.get(0).evalArgs())));
        assertEquals(3, reply.size());
        assertFalse(
                reply.get(0).toString().contains(big),
                "the reply leaves out the fields the write set");
        List<TransitionOutcome> outcomes = calls.get(0).outcomes(reply);
        TransitionOutcome ok = outcomes.get(0);
        assertTrue(ok.applied());
        assertEquals(2, ok.version());
        assertEquals(hash(a), ok.written(), "with them added back, the whole hash as written");
        TransitionOutcome lost = outcomes.get(1);
        assertFalse(lost.applied(), "a cancelled job is not started");
        assertEquals(JobStatus.CANCELLED, lost.status());
        assertTrue(outcomes.get(2).missing(), "no such job");
        assertEquals("running", hash(a).get(JobFields.STATUS));
        assertEquals("cancelled", hash(b).get(JobFields.STATUS));
        assertTrue(hash(gone).isEmpty(), "nothing created for a write that may not create");
    }

    /**
     * Large writes (results with their documents) are split over calls of bounded size, each write
     * whole and in order, so one batch's script never holds Redis for long.
     */
    @Test
    void largeWritesAreSplitIntoCallsOfBoundedSize() throws Exception {
        List<JobTransition> writes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String id = UUID.randomUUID().toString();
            run(JobTransition.create(id, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme")));
            writes.add(
                    JobTransition.to(id, JobStatus.RUNNING)
                            .set(JobFields.ERROR, "x".repeat(600_000)));
        }
        String small = UUID.randomUUID().toString();
        run(JobTransition.create(small, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme")));
        writes.add(JobTransition.to(small, JobStatus.RUNNING));
        List<JobTransition.Call> calls = JobTransition.calls(writes, 1_000_000);
        assertEquals(
                List.of(1, 1, 2),
                calls.stream().map(c -> c.writes().size()).toList(),
                "each large write alone, the small one with the last");
        List<JobTransition> sent = new ArrayList<>();
        for (JobTransition.Call call : calls) {
            sent.addAll(call.writes());
            for (TransitionOutcome o : call.outcomes(sync(redis.eval(List.of(call.evalArgs()))))) {
                assertTrue(o.applied());
            }
        }
        assertEquals(writes, sent, "every write once, in order");
        for (JobTransition w : writes) {
            assertEquals("running", hash(w.jobId()).get(JobFields.STATUS));
        }
    }

    @Test
    void walksTheLifecycleAndPublishesEveryWrite() throws Exception {
        String id = UUID.randomUUID().toString();
        run(JobTransition.create(id, JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme")));
        TransitionOutcome running =
                run(JobTransition.to(id, JobStatus.RUNNING).set(JobFields.WORKER, "w1"));
        assertTrue(running.applied());
        assertEquals(2, running.version());
        String result =
                JobCodec.encodeResult(
                        new JobResult(
                                "m",
                                List.of(new RankedDocument(0, 0.5, null)),
                                new JobResult.Usage(1, 2),
                                3));
        TransitionOutcome done =
                run(
                        JobTransition.to(id, JobStatus.SUCCEEDED)
                                .expectVersion(2)
                                .set(JobFields.RESULT, result));
        assertTrue(done.applied());

        Map<String, String> h = hash(id);
        assertEquals(h, done.written(), "an applied write returns the state it left");
        assertEquals(JobStatus.SUCCEEDED, done.writtenState(id).status());
        assertEquals("succeeded", h.get(JobFields.STATUS));
        assertEquals("3", h.get(JobFields.VERSION));
        assertEquals("1", h.get(JobFields.ATTEMPTS));
        assertEquals("w1", h.get(JobFields.WORKER));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> events.stream().filter(e -> e.id().equals(id)).count() == 3);
        assertEquals(
                List.of(JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED),
                events.stream().filter(e -> e.id().equals(id)).map(JobEvent::status).toList());
    }

    @Test
    void onlyATerminalWriteTakesTheJobOffItsTenantsInFlightSet() throws Exception {
        String id = UUID.randomUUID().toString();
        String other = UUID.randomUUID().toString();
        String set = RedisKeys.inFlight("inflight-tenant");
        sync(redis.zadd(List.of(set, "1", id, "2", other)));
        run(
                JobTransition.create(
                        id, JobStatus.QUEUED, Map.of(JobFields.TENANT, "inflight-tenant")));
        run(JobTransition.to(id, JobStatus.RUNNING));
        assertEquals(2, sync(redis.zcard(set)).toLong(), "queued and running jobs stay in flight");
        assertFalse(run(JobTransition.to(id, JobStatus.SUCCEEDED).expectVersion(1)).applied());
        assertEquals(2, sync(redis.zcard(set)).toLong(), "a write that loses changes nothing");
        assertTrue(run(JobTransition.to(id, JobStatus.SUCCEEDED)).applied());
        assertEquals(
                List.of(other),
                sync(redis.zrange(List.of(set, "0", "-1"))).stream()
                        .map(Response::toString)
                        .toList());
    }

    @Test
    void aJobsEndTakesItsPairsOffItsTenantsCountersOfEveryModelAndOfItsPool() throws Exception {
        String tenant = "pool-tenant";
        String id = UUID.randomUUID().toString();
        String other = UUID.randomUUID().toString();
        // what the gateway's quota script took: two jobs, of two pools
        sync(redis.zadd(List.of(RedisKeys.inFlight(tenant), "1", id, "2", other)));
        sync(redis.set(List.of(RedisKeys.inFlightPairs(tenant), "12")));
        sync(redis.hset(List.of(RedisKeys.inFlightPools(tenant), id, "large", other, "default")));
        sync(
                redis.hset(
                        List.of(
                                RedisKeys.inFlightPoolPairs(tenant),
                                "large",
                                "5",
                                "default",
                                "7")));
        run(
                JobTransition.create(
                        id,
                        JobStatus.QUEUED,
                        Map.of(JobFields.TENANT, tenant, JobFields.PAIRS, "5")));
        run(JobTransition.to(id, JobStatus.RUNNING));
        assertEquals(
                "5", sync(redis.hget(RedisKeys.inFlightPoolPairs(tenant), "large")).toString());
        assertTrue(run(JobTransition.to(id, JobStatus.SUCCEEDED)).applied());
        assertEquals("7", sync(redis.get(RedisKeys.inFlightPairs(tenant))).toString());
        assertEquals(
                "0", sync(redis.hget(RedisKeys.inFlightPoolPairs(tenant), "large")).toString());
        assertEquals(
                "7", sync(redis.hget(RedisKeys.inFlightPoolPairs(tenant), "default")).toString());
        assertEquals(
                List.of(other),
                sync(redis.hkeys(RedisKeys.inFlightPools(tenant))).stream()
                        .map(Response::toString)
                        .toList());
    }

    @Test
    void staleVersionLosesAndReportsWhatIsStored() throws Exception {
        String id = UUID.randomUUID().toString();
        run(JobTransition.create(id, JobStatus.QUEUED, Map.of()));
        run(JobTransition.to(id, JobStatus.RUNNING));
        TransitionOutcome stale =
                run(
                        JobTransition.to(id, JobStatus.SUCCEEDED)
                                .expectVersion(1)
                                .set(JobFields.RESULT, "late"));
        assertFalse(stale.applied());
        assertEquals(2, stale.version());
        assertEquals(JobStatus.RUNNING, stale.status());
        assertFalse(hash(id).containsKey(JobFields.RESULT));
    }

    @Test
    void terminalStateIsNeverLeft() throws Exception {
        String id = UUID.randomUUID().toString();
        run(JobTransition.create(id, JobStatus.QUEUED, Map.of()));
        assertTrue(run(JobTransition.to(id, JobStatus.CANCELLED)).applied());
        for (JobStatus s : JobStatus.values()) {
            assertFalse(run(JobTransition.to(id, s)).applied(), "cancelled -> " + s);
        }
        assertEquals("cancelled", hash(id).get(JobFields.STATUS));
    }

    @Test
    void workerCanCreateAJobTheGatewayNeverWrote() throws Exception {
        String id = UUID.randomUUID().toString();
        TransitionOutcome missing = run(JobTransition.to(id, JobStatus.RUNNING));
        assertFalse(missing.applied());
        assertTrue(missing.missing());

        TransitionOutcome created =
                run(
                        JobTransition.to(id, JobStatus.RUNNING)
                                .orCreateWith(
                                        Map.of(
                                                JobFields.TENANT,
                                                "acme",
                                                JobFields.CREATED_AT,
                                                "5")));
        assertTrue(created.applied());
        assertEquals("acme", hash(id).get(JobFields.TENANT));
        // a late gateway write does not move it back to queued
        assertFalse(
                run(JobTransition.create(id, JobStatus.QUEUED, Map.of(JobFields.TENANT, "x")))
                        .applied());
        assertEquals("running", hash(id).get(JobFields.STATUS));
    }

    @Test
    void restoringAStateKeepsItsVersionAndNeverOverwrites() throws Exception {
        String id = UUID.randomUUID().toString();
        TransitionOutcome restored =
                run(
                        JobTransition.create(
                                id,
                                JobStatus.SUCCEEDED,
                                Map.of(
                                        JobFields.VERSION,
                                        "6",
                                        JobFields.RESULT,
                                        "{\"r\":1}",
                                        JobFields.TENANT,
                                        "acme")));
        assertTrue(restored.applied());
        assertEquals(7, restored.version());
        assertEquals("7", hash(id).get(JobFields.VERSION));
        assertFalse(
                run(JobTransition.create(id, JobStatus.SUCCEEDED, Map.of(JobFields.VERSION, "1")))
                        .applied());
    }

    /**
     * Redis came back at a job's claim (version 2, running, with progress) without its end (version
     * 3): the restore rebuilds the state whole at version 3 and takes the job off its tenant's
     * in-flight set; over a terminal state or a newer claim it does nothing.
     */
    @Test
    void aRestoreReplacesAnOlderStateThatIsNotTerminalButNoOther() throws Exception {
        String tenant = "restore-" + UUID.randomUUID();
        String id = UUID.randomUUID().toString();
        String set = RedisKeys.inFlight(tenant);
        sync(redis.zadd(List.of(set, "1", id)));
        sync(redis.incrby(RedisKeys.inFlightPairs(tenant), "3"));
        run(
                JobTransition.create(
                        id,
                        JobStatus.QUEUED,
                        Map.of(JobFields.TENANT, tenant, JobFields.PAIRS, "3")));
        run(JobTransition.to(id, JobStatus.RUNNING).set("progress_pairs", "2"));
        Map<String, String> end =
                Map.of(
                        JobFields.VERSION,
                        "2",
                        JobFields.TENANT,
                        tenant,
                        JobFields.PAIRS,
                        "3",
                        JobFields.RESULT,
                        "{\"r\":1}");

        TransitionOutcome restored = run(JobTransition.restore(id, JobStatus.SUCCEEDED, end, 3));
        assertTrue(restored.applied());
        assertEquals(3, restored.version());
        Map<String, String> hash = hash(id);
        assertEquals("succeeded", hash.get(JobFields.STATUS));
        assertEquals("{\"r\":1}", hash.get(JobFields.RESULT));
        assertFalse(hash.containsKey("progress_pairs"), "rebuilt whole: " + hash);
        assertEquals(0, sync(redis.zcard(set)).toInteger());
        assertEquals(0, sync(redis.get(RedisKeys.inFlightPairs(tenant))).toInteger());

        assertFalse(
                run(JobTransition.restore(id, JobStatus.CANCELLED, end, 9)).applied(),
                "a terminal state stays");
        String newer = UUID.randomUUID().toString();
        run(JobTransition.create(newer, JobStatus.QUEUED, Map.of(JobFields.TENANT, tenant)));
        run(JobTransition.to(newer, JobStatus.RUNNING));
        TransitionOutcome older = run(JobTransition.restore(newer, JobStatus.SUCCEEDED, end, 2));
        assertFalse(older.applied(), "a claim as new as the restored end stays");
        assertEquals(JobStatus.RUNNING, older.status());
    }

    @Test
    void retryMovesARunningJobBackToQueuedAndCountsAttempts() throws Exception {
        String id = UUID.randomUUID().toString();
        run(JobTransition.create(id, JobStatus.QUEUED, Map.of()));
        run(JobTransition.to(id, JobStatus.RUNNING));
        assertTrue(run(JobTransition.to(id, JobStatus.QUEUED).expectVersion(2)).applied());
        assertTrue(run(JobTransition.to(id, JobStatus.RUNNING)).applied());
        assertEquals("2", hash(id).get(JobFields.ATTEMPTS));
    }

    @Test
    void namedStateChangesWalkAJobThroughATakeOverToItsResult() throws Exception {
        RerankJob job = JobBuilder.aQueuedJob().withDocuments("a", "b").build();
        Duration keep = Duration.ofMinutes(5);
        assertTrue(run(JobStateChanges.queued(job, keep)).applied());
        assertEquals(
                (double) job.createdAt(),
                sync(redis.zscore(RedisKeys.tenantJobs("acme"), job.id())).toDouble(),
                "a created job is in its tenant's index, scored by its creation time");
        TransitionOutcome first =
                run(JobStateChanges.startProcessing(job, "w1", System.currentTimeMillis(), keep));
        assertEquals(JobStatus.RUNNING, first.status());
        // w1 dies; w2 gets the record again and takes the job over through the retry edge
        TransitionOutcome requeued =
                run(JobStateChanges.requeuedForTakeOver(job, first.version(), keep));
        TransitionOutcome second =
                run(
                        JobStateChanges.startProcessing(job, "w2", System.currentTimeMillis(), keep)
                                .expectVersion(requeued.version()));
        assertTrue(second.applied());
        JobResult result =
                new JobResult(
                        "m",
                        List.of(new RankedDocument(1, 0.9, null)),
                        new JobResult.Usage(2, 4),
                        3);
        long now = System.currentTimeMillis();
        assertFalse(
                run(JobStateChanges.succeeded(job, first.version(), "w1", now, now, result, keep))
                        .applied(),
                "the first worker's late result loses");
        assertFalse(
                run(JobStateChanges.failed(job, first.version(), now, "late", keep)).applied(),
                "and so does its late failure");
        TransitionOutcome done =
                run(JobStateChanges.succeeded(job, second.version(), "w2", now, now, result, keep));
        assertTrue(done.applied());
        assertEquals("w2", hash(job.id()).get(JobFields.WORKER));
        assertEquals("2", hash(job.id()).get(JobFields.ATTEMPTS));
        assertEquals(result, done.writtenState(job.id()).result());
        assertFalse(
                run(JobStateChanges.cancelledByClient(job.id(), now, keep)).applied(),
                "a finished job cannot be cancelled");
    }
}
