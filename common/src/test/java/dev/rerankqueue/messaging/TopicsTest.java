package dev.rerankqueue.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.Priority;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void theDeclarationsNameTheTopicsTheCodeUses() {
        assertEquals(
                List.of(
                        Topics.JOBS,
                        Topics.JOBS_BATCH,
                        Topics.JOBS_OVERFLOW,
                        Topics.JOBS_BATCH_OVERFLOW,
                        Topics.JOBS_DLQ,
                        Topics.RESULTS),
                Topics.declared().stream().map(Topics.Declared::name).toList());
    }

    @Test
    void everyTopicTakesTheLargestRecordTheProducersSend() {
        for (Topics.Declared t : Topics.declared()) {
            assertEquals(
                    Integer.toString(Topics.MAX_RECORD_BYTES),
                    t.configs().get("max.message.bytes"),
                    t.name());
        }
    }

    @Test
    void jobTopicsScaleWithTheJobPartitionsAndTheResultsAreCompacted() {
        for (int i = 0; i < 4; i++) {
            Topics.Declared jobs = Topics.declared().get(i);
            assertEquals(Topics.DEFAULT_JOB_PARTITIONS, jobs.partitions(), jobs.name());
            assertEquals(4, jobs.partitions(4), jobs.name());
            assertTrue(Topics.JOB_TOPICS.contains(jobs.name()), jobs.name());
        }
        Topics.Declared dlq = Topics.declared().get(4);
        assertEquals(dlq.partitions(), dlq.partitions(4), "the DLQ keeps its count");
        assertTrue(Topics.declared().get(5).configs().get("cleanup.policy").contains("compact"));
    }

    @Test
    void aPoolHasJobsTopicsAndAGroupOfItsOwnAndTheDefaultPoolKeepsTheOneModelNames() {
        ModelPool large = ModelPool.of("qwen3-8b");
        assertEquals(
                List.of(
                        "rerank.qwen3-8b.jobs",
                        "rerank.qwen3-8b.jobs.overflow",
                        "rerank.qwen3-8b.jobs.batch",
                        "rerank.qwen3-8b.jobs.batch.overflow"),
                large.jobTopics());
        assertEquals("rerank-workers-qwen3-8b", large.group());
        assertEquals(Topics.JOB_TOPICS, ModelPool.of(null).jobTopics());
        assertEquals(Topics.WORKER_GROUP, ModelPool.of(" ").group());
        for (String topic : large.jobTopics()) {
            assertEquals(
                    Topics.lane(Topics.JOB_TOPICS.get(large.jobTopics().indexOf(topic))),
                    Topics.lane(topic),
                    topic);
            assertEquals(topic.endsWith("overflow"), Topics.isOverflow(topic), topic);
        }
        // a pool called "batch" is not the batch lane
        assertEquals(Priority.INTERACTIVE, Topics.lane(ModelPool.of("batch").jobs(null)));
        assertEquals(
                List.of(
                        "rerank.qwen3-8b.jobs",
                        "rerank.qwen3-8b.jobs.batch",
                        "rerank.qwen3-8b.jobs.overflow",
                        "rerank.qwen3-8b.jobs.batch.overflow"),
                Topics.declared(large).stream().map(Topics.Declared::name).toList());
        assertEquals(Topics.declared(), Topics.declared(ModelPool.DEFAULT_POOL));
    }

    @Test
    void aPoolNameMustFitATopicAndALabel() {
        for (String bad : List.of("Qwen", "a.b", "-a", "a-", "a_b", "x".repeat(41), "a/b")) {
            assertThrows(IllegalArgumentException.class, () -> ModelPool.of(bad), bad);
        }
        assertEquals("a-1", ModelPool.of("a-1").name());
    }
}
