package dev.rerankqueue.worker.batch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.emulator.VllmEmulator;
import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker on the GPU path: jobs from Kafka scored by the vLLM scorer against the emulator (standing in for vLLM),
 * to show a job's {@code instruction} reaching the model's prompt and keying the score cache, end to end.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
@WithTestResource(VllmWorkerTest.Emulator.class)
class VllmWorkerTest {

    /** A vLLM emulator for the worker to call, as a sidecar would be. */
    public static class Emulator implements QuarkusTestResourceLifecycleManager {
        private VllmEmulator emulator;

        @Override
        public Map<String, String> start() {
            try {
                emulator = VllmEmulator.start(VllmEmulator.Settings.defaults(0));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return Map.of("rerank.worker.scorer.type", "vllm", "rerank.worker.scorer.vllm.url", "http://127.0.0.1:" + emulator.port());
        }

        @Override
        public void stop() {
            if (emulator != null) {
                emulator.close();
            }
        }
    }

    @Inject
    RedisDataSource redis;

    @ConfigProperty(name = "rerank.worker.scorer.vllm.url")
    String vllm;

    private final HttpClient http = HttpClient.newHttpClient();

    private JsonNode emulator(String path) throws Exception {
        return JobCodec.mapper().readTree(http.send(HttpRequest.newBuilder(URI.create(vllm + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private JobState score(String instruction) {
        RerankRequest r = new RerankRequest(null, "capital of France?",
                List.of(Document.of("Bread is baked."), Document.of("Paris is the capital of France.")), null, null, instruction, null, null);
        RerankJob job = RerankJob.accept("acme", r, System.currentTimeMillis());
        InfrastructureResource.kafka().companion().produce(String.class, byte[].class)
                .fromRecords(new ProducerRecord<>(Topics.JOBS, job.id(), JobCodec.encodeJob(job))).awaitCompletion();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JobState s = JobFields.toState(job.id(), redis.hash(String.class).hgetall(RedisKeys.job(job.id())));
            return s != null && s.status().isTerminal();
        });
        return JobFields.toState(job.id(), redis.hash(String.class).hgetall(RedisKeys.job(job.id())));
    }

    @Test
    void theInstructionReachesTheModelsPromptAndKeysTheCache() throws Exception {
        JobState first = score("Find the capital city");
        assertEquals(JobStatus.SUCCEEDED, first.status());
        assertEquals(1, first.result().results().get(0).index(), "Paris first");
        assertEquals("Qwen/Qwen3-Reranker-0.6B", first.result().model());
        String prompt = emulator("/emulator/last-request").get("text_1").get(0).asText();
        assertTrue(prompt.contains("<Instruct>: Find the capital city\n<Query>: capital of France?"), prompt);
        long pairs = emulator("/emulator/stats").get("pairs").asLong();

        assertEquals(JobStatus.SUCCEEDED, score("Judge whether the text is about food").status());
        assertEquals(pairs + 2, emulator("/emulator/stats").get("pairs").asLong(), "another instruction is scored again");
        assertTrue(emulator("/emulator/last-request").get("text_1").get(0).asText().contains("<Instruct>: Judge whether the text is about food"));

        assertEquals(JobStatus.SUCCEEDED, score("Find the capital city").status());
        assertEquals(pairs + 2, emulator("/emulator/stats").get("pairs").asLong(), "the same instruction, query and documents: cached");

        assertEquals(JobStatus.SUCCEEDED, score(null).status());
        assertTrue(emulator("/emulator/last-request").get("text_1").get(0).asText()
                .contains("<Instruct>: Given a web search query, retrieve relevant passages that answer the query"), "the default instruction");
    }
}
