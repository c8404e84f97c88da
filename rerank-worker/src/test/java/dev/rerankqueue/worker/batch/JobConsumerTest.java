package dev.rerankqueue.worker.batch;

import static dev.rerankqueue.testing.JobBuilder.aQueuedJob;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.Chunking;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.TruncationDirection;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobEvent;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import dev.rerankqueue.testing.JobBuilder;
import dev.rerankqueue.worker.store.JobStateWriter;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.pubsub.PubSubCommands.RedisSubscriber;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The worker against a real broker and a real redis-server: records in, results in Redis, offsets
 * after.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
class JobConsumerTest {

    @Inject RedisDataSource redis;

    @Inject JobStateWriter writer;

    @Inject JobBatchProcessor processor;

    static RerankJob job(
            String query,
            List<String> docs,
            Integer topN,
            Boolean returnDocs,
            Long deadlineMs,
            long createdAt) {
        JobBuilder job = aQueuedJob().withQuery(query).withDocuments(docs).createdAt(createdAt);
        if (topN != null) {
            job.keepingTop(topN);
        }
        if (returnDocs != null) {
            job.returningDocuments(returnDocs);
        }
        if (deadlineMs != null) {
            job.withDeadlineMs(deadlineMs);
        }
        return job.build();
    }

    static RerankJob beijing() {
        return job(
                "What is the capital of China?",
                List.of(
                        "Gravity pulls objects together.",
                        "The capital of China is Beijing.",
                        "Pandas eat bamboo."),
                2,
                true,
                null,
                System.currentTimeMillis());
    }

    static void produce(String key, byte[] value) {
        InfrastructureResource.kafka()
                .companion()
                .produce(String.class, byte[].class)
                .fromRecords(new ProducerRecord<>(Topics.JOBS, key, value))
                .awaitCompletion();
    }

    static void produce(RerankJob job) {
        produce(job.id(), JobCodec.encodeJob(job));
    }

    /** The last record with {@code key} on the jobs topic. */
    static ConsumerRecord<String, byte[]> recordOf(String key) {
        return InfrastructureResource.kafka().readAll(Topics.JOBS).stream()
                .filter(r -> key.equals(r.key()))
                .reduce((a, b) -> b)
                .orElseThrow();
    }

    /**
     * Produces {@code marker} to the partition that holds the record with {@code key}, after it: a
     * partition is consumed in order, so the marker's end proves that record was consumed.
     */
    static void produceAfter(String key, RerankJob marker) {
        InfrastructureResource.kafka()
                .companion()
                .produce(String.class, byte[].class)
                .fromRecords(
                        new ProducerRecord<>(
                                Topics.JOBS,
                                recordOf(key).partition(),
                                marker.id(),
                                JobCodec.encodeJob(marker)))
                .awaitCompletion();
    }

    JobState state(String id) {
        return JobFields.toState(id, redis.hash(String.class).hgetall(RedisKeys.job(id)));
    }

    JobState awaitTerminal(String id) {
        await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> {
                            JobState s = state(id);
                            return s != null && s.status().isTerminal();
                        });
        return state(id);
    }

    @Test
    void scoresAJobAndWritesTheRankedResult() {
        RerankJob job = beijing();
        produce(job);
        JobState s = awaitTerminal(job.id());
        assertEquals(JobStatus.SUCCEEDED, s.status());
        assertEquals("acme", s.tenant());
        assertEquals(1, s.attempts());
        assertTrue(s.startedAt() >= job.createdAt() && s.finishedAt() >= s.startedAt());
        JobResult r = s.result();
        assertEquals("bge-small-en-v1.5", r.model());
        assertEquals(2, r.results().size(), "cut to top_n");
        assertEquals(1, r.results().get(0).index(), "Beijing first");
        assertEquals("The capital of China is Beijing.", r.results().get(0).document().text());
        assertTrue(r.results().get(0).relevanceScore() > r.results().get(1).relevanceScore());
        assertEquals(3, r.usage().pairs());
        assertTrue(r.usage().tokens() > 20);
        assertEquals(0, r.usage().truncatedDocuments());
        long ttl = redis.key().ttl(RedisKeys.job(job.id()));
        assertTrue(ttl > 23 * 3600, "results are retained for 24 h, ttl " + ttl);
    }

    @Test
    void aLargeBatchLaneJobReportsProgressWhileScored() {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            docs.add("Note " + i + ": the river " + i + " flows into lake " + (i * 7 % 13) + ".");
        }
        docs.set(123, "The capital of China is Beijing.");
        RerankJob job =
                aQueuedJob()
                        .withQuery("What is the capital of China?")
                        .withDocuments(docs)
                        .keepingTop(3)
                        .returningDocuments(false)
                        .inLane(Priority.BATCH)
                        .build();
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        var subscriber = followEvents(job.id(), events);
        try {
            InfrastructureResource.kafka()
                    .companion()
                    .produce(String.class, byte[].class)
                    .fromRecords(
                            new ProducerRecord<>(
                                    Topics.JOBS_BATCH, job.id(), JobCodec.encodeJob(job)))
                    .awaitCompletion();
            JobState s = awaitTerminal(job.id());
            assertEquals(
                    JobStatus.SUCCEEDED, s.status(), "a job from the batch lane's topic is scored");
            assertEquals(123, s.result().results().get(0).index());
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> events.stream().anyMatch(e -> e.status() == JobStatus.SUCCEEDED));
        } finally {
            subscriber.unsubscribe();
        }
        List<Integer> counts =
                events.stream().filter(e -> e.scored() > 0).map(JobEvent::scored).toList();
        assertTrue(
                counts.size() >= 2,
                "progress of a 300-pair job scored 64 pairs per call: " + events);
        assertTrue(counts.stream().allMatch(c -> c < 300), counts.toString());
        assertEquals(counts.stream().sorted().toList(), counts, "counts only go up");
        assertEquals(
                JobStatus.SUCCEEDED,
                events.get(events.size() - 1).status(),
                "the result comes last: " + events);
    }

    /**
     * The gateway puts a tenant's jobs past its front on its lane's overflow topic: the workers
     * read both overflow topics and score their jobs in their lane.
     */
    @Test
    void jobsOnEachLanesOverflowTopicAreScored() {
        List<RerankJob> jobs = new ArrayList<>();
        for (Priority lane : Priority.values()) {
            RerankJob job =
                    aQueuedJob()
                            .withQuery("What is the capital of China?")
                            .withDocuments(
                                    List.of(
                                            "Pandas eat bamboo.",
                                            "The capital of China is Beijing."))
                            .inLane(lane)
                            .build();
            jobs.add(job);
            InfrastructureResource.kafka()
                    .companion()
                    .produce(String.class, byte[].class)
                    .fromRecords(
                            new ProducerRecord<>(
                                    Topics.jobsOverflow(lane), job.id(), JobCodec.encodeJob(job)))
                    .awaitCompletion();
        }
        for (RerankJob job : jobs) {
            JobState s = awaitTerminal(job.id());
            assertEquals(JobStatus.SUCCEEDED, s.status(), "job of lane " + job.lane());
            assertEquals(1, s.result().results().get(0).index());
        }
    }

    @Test
    void aDocumentOverTheModelsLimitIsScoredOnItsBeginningAndReported() {
        RerankJob job =
                job(
                        "What is the capital of China?",
                        List.of(
                                "The capital of China is Beijing. "
                                        + "Pandas eat bamboo. ".repeat(400),
                                "Gravity pulls objects together."),
                        null,
                        false,
                        null,
                        System.currentTimeMillis());
        produce(job);
        JobState s = awaitTerminal(job.id());
        assertEquals(JobStatus.SUCCEEDED, s.status());
        assertEquals(
                1,
                s.result().usage().truncatedDocuments(),
                "the long document was cut at the model's limit, and says so");
        assertEquals(0, s.result().results().get(0).index(), "its beginning still ranks it first");
    }

    @Test
    void scoresManyJobsFromOneBatchTogether() {
        List<RerankJob> jobs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            jobs.add(
                    job(
                            "query " + i,
                            List.of("doc a " + i, "doc b " + i, "query " + i),
                            null,
                            false,
                            null,
                            System.currentTimeMillis()));
        }
        jobs.forEach(JobConsumerTest::produce);
        for (RerankJob j : jobs) {
            JobState s = awaitTerminal(j.id());
            assertEquals(JobStatus.SUCCEEDED, s.status());
            assertEquals(3, s.result().results().size());
            assertNull(s.result().results().get(0).document(), "no text unless asked for");
        }
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("rerank_batch_pairs_count"), "batch size metric");
        // per lane, so SLO burn-rate alerts and dashboards can tell the interactive lane from bulk
        // work
        assertTrue(
                metrics.contains(
                        "rerank_jobs_finished_total{lane=\"interactive\",pool=\"default\",status=\"succeeded\"}"),
                "finished counter per lane");
        assertTrue(
                metrics.contains(
                        "rerank_job_end_to_end_seconds_bucket{lane=\"interactive\",pool=\"default\",status=\"succeeded\",le=\"1.0\"}"),
                "end-to-end histogram per lane, with an SLO bucket at 1 s");
        assertTrue(
                metrics.contains(
                        "rerank_job_queue_wait_seconds_bucket{lane=\"interactive\",pool=\"default\",le=\"1.0\"}"),
                "queue wait per lane");
        assertTrue(
                metrics.contains(
                        "rerank_jobs_finished_total{lane=\"batch\",pool=\"default\",status=\"failed\"} 0.0"),
                "every lane exported from the start");
        assertTrue(
                metrics.contains("rerank_scorer_context_tokens{pool=\"default\"} 510.0"),
                "the embedded model's 512 tokens but its two special ones");
    }

    @Test
    void aBatchIsClaimedAndRecordedInAFewRedisCallsNotSomePerJob() {
        List<RerankJob> jobs = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            RerankJob j =
                    job(
                            "batched query " + i,
                            List.of("doc a " + i, "doc b " + i),
                            null,
                            false,
                            null,
                            System.currentTimeMillis());
            jobs.add(j);
            records.add(new ConsumerRecord<>(Topics.JOBS, 0, 1_000_000L + i, j.id(), encoded(j)));
        }
        long before = scriptCalls();
        processor.process(records).await().atMost(Duration.ofSeconds(30));
        long calls = scriptCalls() - before;
        for (RerankJob j : jobs) {
            JobState s = state(j.id());
            assertEquals(JobStatus.SUCCEEDED, s.status());
            assertEquals(2, s.result().results().size());
        }
        // claims, results and the check that they are still there after the results topic has
        // them: a script each for the whole batch; and one checkpoint write for its one scorer
        // call (40 pairs); no checkpoint read, as no job was taken over: not some per job
        assertTrue(calls <= 4, calls + " Redis scripts run for a batch of 20 jobs");
    }

    /** Scripts Redis has run so far (EVAL and EVALSHA), from INFO commandstats. */
    private long scriptCalls() {
        long calls = 0;
        for (String line : redis.execute("INFO", "commandstats").toString().split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                String v = line.substring(line.indexOf("calls=") + 6);
                calls += Long.parseLong(v.substring(0, v.indexOf(',')));
            }
        }
        return calls;
    }

    private static byte[] encoded(RerankJob j) {
        return JobCodec.encodeJob(j);
    }

    @Test
    void longDocumentsAskedToBeChunkedAreScoredByTheirBestChunk() {
        String query = "What is the capital of China?";
        // about 1,500 tokens: three times the model's context, the answer at the very end
        String longDoc =
                "Pandas eat bamboo in the mountain forests of Sichuan. ".repeat(150)
                        + "The capital of China is Beijing.";
        JobBuilder base = aQueuedJob().withQuery(query).withDocuments(longDoc, "Bread is baked.");
        RerankJob cut = base.build();
        RerankJob chunked = base.chunked(new Chunking(10, 256, null)).build();
        RerankJob overlapping = base.chunked(new Chunking(10, 256, 64)).build();
        RerankJob tooFew = base.chunked(new Chunking(2, 256, null)).build();
        List<RerankJob> jobs = List.of(cut, chunked, overlapping, tooFew);
        jobs.forEach(JobConsumerTest::produce);
        Map<String, JobState> s = new HashMap<>();
        for (RerankJob job : jobs) {
            JobState state = awaitTerminal(job.id());
            assertEquals(JobStatus.SUCCEEDED, state.status(), String.valueOf(state.error()));
            s.put(job.id(), state);
        }
        double whole = scoreOf(s.get(chunked.id()), 0);
        assertTrue(
                whole > scoreOf(s.get(cut.id()), 0) + 0.05,
                "its best chunk holds the answer the cut beginning does not: "
                        + whole
                        + " vs "
                        + scoreOf(s.get(cut.id()), 0));
        JobResult.Usage u = s.get(chunked.id()).result().usage();
        assertEquals(2, u.pairs(), "pairs are still documents");
        assertTrue(u.chunks() >= 6 && u.chunks() <= 8, "about 1,500 / 256 chunks and one: " + u);
        assertEquals(0, u.truncatedDocuments(), "every chunk was scored");
        assertTrue(
                s.get(overlapping.id()).result().usage().chunks() > u.chunks(),
                "overlapping chunks are more: " + s.get(overlapping.id()).result().usage());
        assertEquals(
                1,
                s.get(tooFew.id()).result().usage().truncatedDocuments(),
                "chunks past max_chunks are dropped and the document counted as truncated");
        assertEquals(3L, s.get(tooFew.id()).result().usage().chunks());
        assertNull(s.get(cut.id()).result().usage().chunks(), "no chunks unless asked");
    }

    private static double scoreOf(JobState s, int index) {
        return s.result().results().stream()
                .filter(r -> r.index() == index)
                .findFirst()
                .orElseThrow()
                .relevanceScore();
    }

    @Test
    void aJobOfThousandsOfDocumentsIsScoredInMicroBatches() {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 1_500; i++) {
            docs.add("Pandas eat bamboo, note " + i + ".");
        }
        docs.set(1_234, "The capital of China is Beijing.");
        double callsBefore = scorerCalls();
        RerankJob job = aQueuedJob().withDocuments(docs).keepingTop(3).build();
        produce(job);
        JobState s = awaitTerminal(job.id());
        assertEquals(JobStatus.SUCCEEDED, s.status(), String.valueOf(s.error()));
        assertEquals(1_500, s.result().usage().pairs());
        assertEquals(3, s.result().results().size());
        assertEquals(1_234, s.result().results().get(0).index());
        assertTrue(
                scorerCalls() - callsBefore >= 1_500.0 / 64,
                "split into calls of at most rerank.worker.batch.max-pairs pairs");
    }

    private static double scorerCalls() {
        return given().get("/q/metrics")
                .asString()
                .lines()
                .filter(l -> l.startsWith("rerank_scoring_seconds_count"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    @Test
    void documentsAreCutFromTheEndTheRequestNamesAndToItsPromptLimit() {
        String query = "What is the capital of China?";
        String filler = "Pandas eat bamboo in the mountain forests of Sichuan. ";
        String doc = filler.repeat(20) + "The capital of China is Beijing.";
        // longer than the model's 512-token context
        String longDoc = filler.repeat(100) + "The capital of China is Beijing.";
        RerankJob keepStart =
                aQueuedJob().withQuery(query).withDocuments(doc).withMaxTokensPerDoc(8).build();
        RerankJob keepEnd =
                aQueuedJob()
                        .withQuery(query)
                        .withDocuments(doc)
                        .withMaxTokensPerDoc(8)
                        .cutFrom(TruncationDirection.LEFT)
                        .build();
        // vLLM's truncate_prompt_tokens: this model reads the document apart from the query, so
        // the document alone is cut to 8 tokens
        RerankJob promptLimit =
                aQueuedJob()
                        .withQuery(query)
                        .withDocuments(doc)
                        .withPromptTokens(8)
                        .cutFrom(TruncationDirection.LEFT)
                        .build();
        RerankJob raw =
                aQueuedJob()
                        .withQuery(query)
                        .withDocuments(doc)
                        .withMaxTokensPerDoc(8)
                        .cutFrom(TruncationDirection.LEFT)
                        .withRawScores()
                        .build();
        RerankJob longKeepStart = aQueuedJob().withQuery(query).withDocuments(longDoc).build();
        RerankJob longKeepEnd =
                aQueuedJob()
                        .withQuery(query)
                        .withDocuments(longDoc)
                        .cutFrom(TruncationDirection.LEFT)
                        .build();
        List<RerankJob> jobs =
                List.of(keepStart, keepEnd, promptLimit, raw, longKeepStart, longKeepEnd);
        jobs.forEach(JobConsumerTest::produce);
        Map<String, Double> score = new HashMap<>();
        for (RerankJob job : jobs) {
            JobState s = awaitTerminal(job.id());
            assertEquals(JobStatus.SUCCEEDED, s.status(), String.valueOf(s.error()));
            assertEquals(1, s.result().usage().truncatedDocuments(), "every document was cut");
            score.put(job.id(), s.result().results().get(0).relevanceScore());
        }
        assertTrue(
                score.get(keepEnd.id()) > score.get(keepStart.id()) + 0.05,
                "the end holds the answer: " + score);
        assertEquals(score.get(keepEnd.id()), score.get(promptLimit.id()), 1e-9);
        assertEquals(
                score.get(keepEnd.id()),
                score.get(raw.id()),
                1e-9,
                "the embedded model's score has no activation: raw is the same");
        assertTrue(
                score.get(longKeepEnd.id()) > score.get(longKeepStart.id()) + 0.05,
                "cut to the context from the left: " + score);
    }

    @Test
    void maxTokensPerDocCutsEachDocumentBeforeScoringAndCountsIt() {
        String query = "What is the capital of China?";
        String doc =
                "The capital of China is Beijing."
                        + " Pandas eat bamboo in the mountain forests of Sichuan.".repeat(20);
        long now = System.currentTimeMillis();
        JobBuilder asked = aQueuedJob().withQuery(query).withDocuments(doc).createdAt(now);
        RerankJob whole = asked.build();
        // Cohere's max_tokens_per_doc: only the first 8 tokens of the document are scored
        RerankJob cut = asked.withMaxTokensPerDoc(8).build();
        produce(whole);
        produce(cut);
        JobState w = awaitTerminal(whole.id());
        JobState c = awaitTerminal(cut.id());
        assertEquals(JobStatus.SUCCEEDED, w.status());
        assertEquals(JobStatus.SUCCEEDED, c.status(), String.valueOf(c.error()));
        assertEquals(
                0,
                w.result().usage().truncatedDocuments(),
                "the whole document fits the model's context");
        assertEquals(1, c.result().usage().truncatedDocuments(), "the cut document is counted");
        assertTrue(
                c.result().usage().tokens() * 4 < w.result().usage().tokens(),
                "scored tokens: cut "
                        + c.result().usage().tokens()
                        + ", whole "
                        + w.result().usage().tokens());
        assertNotEquals(
                w.result().results().get(0).relevanceScore(),
                c.result().results().get(0).relevanceScore(),
                "the cut document is scored on its beginning only");
    }

    @Test
    void commitsOffsetsOnlyAfterTheResultIsStored() throws Exception {
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                InfrastructureResource.kafka().bootstrapServers()))) {
            // Redis holds every write for 4 s (reads go on): the worker can score the job but
            // cannot store its result
            redis.execute("CLIENT", "PAUSE", "4000", "WRITE");
            RerankJob job = beijing();
            produce(job);
            ConsumerRecord<String, byte[]> rec = recordOf(job.id());
            TopicPartition tp = new TopicPartition(Topics.JOBS, rec.partition());
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < end) {
                OffsetAndMetadata committed =
                        admin.listConsumerGroupOffsets("rerank-workers")
                                .partitionsToOffsetAndMetadata()
                                .get()
                                .get(tp);
                assertTrue(
                        committed == null || committed.offset() <= rec.offset(),
                        "offset "
                                + committed
                                + " committed past the record while its result could not be stored");
                Thread.sleep(100);
            }
            assertEquals(JobStatus.SUCCEEDED, awaitTerminal(job.id()).status());
            await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> {
                                OffsetAndMetadata committed =
                                        admin.listConsumerGroupOffsets("rerank-workers")
                                                .partitionsToOffsetAndMetadata()
                                                .get()
                                                .get(tp);
                                return committed != null && committed.offset() > rec.offset();
                            });
        } finally {
            redis.execute("CLIENT", "UNPAUSE");
        }
    }

    @Test
    void poisonRecordGoesToTheDlqAndDoesNotBlockItsPartition() {
        String key = "poison-" + System.nanoTime();
        produce(key, "{not json".getBytes(StandardCharsets.UTF_8));
        RerankJob after = beijing();
        produceAfter(key, after); // behind the poison record in its partition
        assertEquals(JobStatus.SUCCEEDED, awaitTerminal(after.id()).status());
        await().atMost(Duration.ofSeconds(20))
                .until(
                        () ->
                                InfrastructureResource.kafka().readAll(Topics.JOBS_DLQ).stream()
                                        .anyMatch(r -> key.equals(r.key())));
        ConsumerRecord<String, byte[]> dead =
                InfrastructureResource.kafka().readAll(Topics.JOBS_DLQ).stream()
                        .filter(r -> key.equals(r.key()))
                        .findFirst()
                        .orElseThrow();
        String reason =
                new String(
                        dead.headers().lastHeader(Topics.HEADER_DLQ_REASON).value(),
                        StandardCharsets.UTF_8);
        assertTrue(reason.contains("malformed JSON"), reason);
        assertEquals("{not json", new String(dead.value(), StandardCharsets.UTF_8));
    }

    @Test
    void aRedeliveredFinishedJobIsNotScoredAgain() {
        RerankJob job = beijing();
        produce(job);
        JobState first = awaitTerminal(job.id());
        produce(job);
        RerankJob marker = beijing();
        produceAfter(job.id(), marker);
        awaitTerminal(marker.id());
        JobState again = state(job.id());
        assertEquals(first.version(), again.version(), "no write after the terminal state");
        assertEquals(1, again.attempts());
    }

    @Test
    void aJobLeftRunningByADeadWorkerIsTakenOver() {
        RerankJob job = beijing();
        // a worker claimed it and died before writing a result
        assertTrue(
                writer.apply(
                                JobTransition.to(job.id(), JobStatus.RUNNING)
                                        .orCreateWith(
                                                Map.of(
                                                        JobFields.TENANT,
                                                        "acme",
                                                        JobFields.CREATED_AT,
                                                        Long.toString(job.createdAt())))
                                        .set(JobFields.WORKER, "dead-worker"))
                        .await()
                        .indefinitely()
                        .applied());
        produce(job);
        JobState s = awaitTerminal(job.id());
        assertEquals(JobStatus.SUCCEEDED, s.status());
        assertEquals(2, s.attempts());
        assertNotNull(s.worker());
        assertTrue(!"dead-worker".equals(s.worker()));
    }

    @Test
    void aCancelledJobIsNotScored() {
        RerankJob job = beijing();
        writer.apply(
                        JobTransition.create(
                                job.id(), JobStatus.QUEUED, Map.of(JobFields.TENANT, "acme")))
                .await()
                .indefinitely();
        writer.apply(JobTransition.to(job.id(), JobStatus.CANCELLED)).await().indefinitely();
        produce(job);
        RerankJob marker = beijing();
        produceAfter(job.id(), marker);
        awaitTerminal(marker.id());
        JobState s = state(job.id());
        assertEquals(JobStatus.CANCELLED, s.status());
        assertNull(s.result());
    }

    @Test
    void aJobPastItsDeadlineExpiresUnscored() {
        RerankJob job =
                job("late", List.of("a"), null, null, 1_000L, System.currentTimeMillis() - 60_000);
        produce(job);
        JobState s = awaitTerminal(job.id());
        assertEquals(JobStatus.EXPIRED, s.status());
        assertNull(s.result());
        assertTrue(s.error().contains("deadline"), s.error());
    }

    @Test
    void everyTerminalStateIsAlsoInTheResultsTopic() {
        RerankJob ok = beijing();
        RerankJob late =
                job("late", List.of("a"), null, null, 1_000L, System.currentTimeMillis() - 60_000);
        produce(ok);
        produce(late);
        JobState okState = awaitTerminal(ok.id());
        awaitTerminal(late.id());
        await().atMost(Duration.ofSeconds(20))
                .until(
                        () -> {
                            Map<String, JobState> logged = new HashMap<>();
                            InfrastructureResource.kafka().readAll(Topics.RESULTS).stream()
                                    .filter(
                                            r ->
                                                    r.key().equals(ok.id())
                                                            || r.key().equals(late.id()))
                                    .forEach(
                                            r ->
                                                    logged.put(
                                                            r.key(),
                                                            JobCodec.decodeState(r.value())));
                            return okState.equals(logged.get(ok.id()))
                                    && logged.containsKey(late.id())
                                    && logged.get(late.id()).status() == JobStatus.EXPIRED;
                        });
    }

    @Test
    void resultsComeBackAfterRedisLosesEverything() {
        RerankJob job = beijing();
        produce(job);
        JobState before = awaitTerminal(job.id());
        awaitOnResultsTopic(job.id());
        // a record no worker can read (another writer, an old format) is skipped, not a reason to
        // restore nothing
        InfrastructureResource.kafka()
                .companion()
                .produce(String.class, byte[].class)
                .fromRecords(
                        new ProducerRecord<>(
                                Topics.RESULTS,
                                "unreadable",
                                "{\"id\":\"unreadable\",\"version\":null}"
                                        .getBytes(StandardCharsets.UTF_8)),
                        new ProducerRecord<>(
                                Topics.RESULTS,
                                "garbage",
                                "not json".getBytes(StandardCharsets.UTF_8)))
                .awaitCompletion();
        redis.flushall();
        assertNull(state(job.id()));
        // the test profile checks every second (rerank.worker.results.restore-check=1s)
        await().atMost(Duration.ofSeconds(20)).until(() -> state(job.id()) != null);
        assertEquals(before, state(job.id()), "restored exactly, version included");
        aNewJobIsStillScored();
    }

    /**
     * Adds each event of job {@code id} to {@code events} as it is published, until unsubscribed.
     */
    private RedisSubscriber followEvents(String id, List<JobEvent> events) {
        return redis.pubsub(String.class)
                .subscribe(
                        RedisKeys.JOB_EVENTS_CHANNEL,
                        m -> {
                            JobEvent e = JobEvent.parse(m);
                            if (e.id().equals(id)) {
                                events.add(e);
                            }
                        });
    }

    /**
     * What a Redis that lost its last writes brings back of job {@code id}: {@code status} at
     * {@code version}, without the fields {@code gone} that later writes set.
     */
    private void cameBackAt(String id, JobStatus status, long version, String... gone) {
        String key = RedisKeys.job(id);
        redis.hash(String.class).hdel(key, gone);
        redis.hash(String.class)
                .hset(
                        key,
                        Map.of(
                                JobFields.STATUS,
                                status.wireName(),
                                JobFields.VERSION,
                                Long.toString(version)));
    }

    /** Waits until each of {@code ids} has a record on the results topic. */
    private static void awaitOnResultsTopic(String... ids) {
        Set<String> wanted = Set.of(ids);
        await().atMost(Duration.ofSeconds(20))
                .until(
                        () ->
                                InfrastructureResource.kafka().readAll(Topics.RESULTS).stream()
                                                .map(ConsumerRecord::key)
                                                .filter(wanted::contains)
                                                .distinct()
                                                .count()
                                        == wanted.size());
    }

    /** The worker kept working through what the test did to Redis. */
    private void aNewJobIsStillScored() {
        RerankJob after = beijing();
        produce(after);
        assertEquals(JobStatus.SUCCEEDED, awaitTerminal(after.id()).status());
    }

    /**
     * A Redis killed with {@code appendfsync everysec} (or failed over to a replica) comes back
     * without its last writes, though it acknowledged them: here a job's terminal state is gone and
     * another's is back at its claim ({@code running}), while the results marker survived. Both
     * jobs' offsets are committed, so no worker reads them again: the results topic is their only
     * copy.
     */
    @Test
    void resultsComeBackAfterRedisRestartsWithoutItsLastWrites() {
        RerankJob gone = beijing();
        RerankJob stale = beijing();
        produce(gone);
        produce(stale);
        JobState goneBefore = awaitTerminal(gone.id());
        JobState staleBefore = awaitTerminal(stale.id());
        awaitOnResultsTopic(gone.id(), stale.id());
        redis.key().del(RedisKeys.job(gone.id()));
        cameBackAt(
                stale.id(),
                JobStatus.RUNNING,
                staleBefore.version() - 1,
                JobFields.RESULT,
                JobFields.FINISHED_AT);
        redis.execute("SAVE");
        InfrastructureResource.redis().restart();
        await().atMost(Duration.ofSeconds(20))
                .ignoreExceptions()
                .until(
                        () ->
                                state(gone.id()) != null
                                        && state(stale.id()).status() == JobStatus.SUCCEEDED);
        assertEquals(goneBefore, state(gone.id()), "restored exactly, version included");
        assertEquals(staleBefore, state(stale.id()), "restored over its claim");
        aNewJobIsStillScored();
    }

    /**
     * Redis came back at the gateway's queued state of a job while a worker scored it (the claim
     * was among the writes it lost): the worker's result no longer applies, and nobody else runs
     * the job. It is claimed and scored again, not left queued with its offset committed.
     */
    @Test
    void aJobWhoseClaimRedisLostIsScoredAgain() {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            docs.add("Document " + i + " says little about capitals, rivers and mountains.");
        }
        RerankJob job =
                aQueuedJob().withQuery("What is the capital of China?").withDocuments(docs).build();
        writer.apply(JobStateChanges.queued(job, Duration.ofHours(1))).await().indefinitely();
        List<JobEvent> events = new CopyOnWriteArrayList<>();
        var subscriber = followEvents(job.id(), events);
        try {
            produce(job);
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(2))
                    .until(() -> events.stream().anyMatch(e -> e.status() == JobStatus.RUNNING));
            cameBackAt(job.id(), JobStatus.QUEUED, 1, JobFields.STARTED_AT, JobFields.WORKER);
            JobState s = awaitTerminal(job.id());
            assertEquals(JobStatus.SUCCEEDED, s.status());
            assertEquals(2, s.attempts(), "claimed again");
        } finally {
            subscriber.unsubscribe();
        }
    }

    @Test
    void readinessCoversConsumerAndScorer() {
        Map<String, String> channels =
                given().get("/q/health/ready")
                        .then()
                        .statusCode(200)
                        .body("status", equalTo("UP"))
                        .body("checks.name", hasItem("scorer"))
                        .body(
                                "checks.find { it.name == 'scorer' }.data.model",
                                equalTo("bge-small-en-v1.5"))
                        .extract()
                        .path("checks.find { it.name.contains('Messaging') }.data");
        // one entry per Kafka consumer (rerank.worker.consumers) of each lane's channel, each
        // connected
        List<String> consumers =
                channels.keySet().stream().filter(k -> k.startsWith("jobs")).toList();
        assertEquals(8, consumers.size(), channels.toString());
        assertEquals(
                4,
                consumers.stream().filter(k -> k.startsWith("jobs-batch")).count(),
                channels.toString());
        assertEquals(
                4,
                consumers.stream().filter(k -> k.contains("overflow")).count(),
                channels.toString());
        consumers.forEach(k -> assertTrue(channels.get(k).contains("OK"), channels.toString()));
    }
}
