package dev.rerankqueue.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.gateway.admission.SaturatedStoreTest;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Reads of many jobs at once (a large batch's event streams re-read every unfinished job on each
 * refresh) against a Redis pool of 2 connections with 4 waiting places: they must go through the
 * store's few coalesced round trips, not one script call per 256 jobs all at once, or a few streams
 * exhaust the pool and every tenant's requests fail with it.
 */
@QuarkusTest
@TestProfile(SaturatedStoreTest.OneConnection.class)
@WithTestResource(InfrastructureResource.class)
class JobStoreReadsTest {

    @Inject JobStore store;
    @Inject RedisDataSource redis;

    @Test
    void twoStreamsOfALargeBatchReadThroughAFewConnectionsBesideAnotherTenantsRead() {
        List<String> batch = queuedJobs(3_000, "acme");
        String other = queuedJobs(1, "globex").get(0);
        Uni<List<JobState>> first = store.findAll(batch);
        Uni<List<JobState>> second = store.findAll(batch);
        Uni<JobState> neighbour = store.find(other);
        var all =
                Uni.combine()
                        .all()
                        .unis(first, second, neighbour)
                        .asTuple()
                        .await()
                        .atMost(Duration.ofSeconds(30));
        for (List<JobState> states : List.of(all.getItem1(), all.getItem2())) {
            assertEquals(batch.size(), states.size());
            for (int i = 0; i < batch.size(); i++) {
                assertEquals(batch.get(i), states.get(i).id(), "in order");
                assertEquals(JobStatus.QUEUED, states.get(i).status());
            }
        }
        assertEquals("globex", all.getItem3().tenant());
        // a job that does not exist reads as null among the others
        List<String> withGap = new ArrayList<>(batch.subList(0, 300));
        withGap.add(150, "00000000-0000-0000-0000-000000000000");
        List<JobState> read = store.findAll(withGap).await().atMost(Duration.ofSeconds(10));
        assertEquals(null, read.get(150));
        assertTrue(read.stream().filter(s -> s != null).count() == 300);
    }

    private List<String> queuedJobs(int n, String tenant) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String id = UUID.randomUUID().toString();
            redis.hash(String.class)
                    .hset(
                            RedisKeys.job(id),
                            Map.of(
                                    JobFields.STATUS,
                                    JobStatus.QUEUED.wireName(),
                                    JobFields.TENANT,
                                    tenant,
                                    JobFields.VERSION,
                                    "1",
                                    JobFields.CREATED_AT,
                                    Long.toString(System.currentTimeMillis())));
            redis.key().expire(RedisKeys.job(id), Duration.ofMinutes(5));
            ids.add(id);
        }
        return ids;
    }
}
