package dev.rerankqueue.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
