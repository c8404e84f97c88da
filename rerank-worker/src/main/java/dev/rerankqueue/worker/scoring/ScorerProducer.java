package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.worker.config.WorkerConfig;
import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.Startup;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Chooses the scorer named by {@code rerank.worker.scorer.type}. */
@ApplicationScoped
public class ScorerProducer {

    @Produces
    @Singleton
    @Startup
    @DefaultBean
    Scorer scorer(WorkerConfig config, Vertx vertx) {
        return switch (config.scorer().type()) {
            case ONNX -> new OnnxScorer(config.scorer().onnx());
            case VLLM -> new VllmScorer(config.scorer().vllm(), vertx);
        };
    }

    void close(@Disposes Scorer scorer) throws Exception {
        if (scorer instanceof AutoCloseable c) {
            c.close();
        }
    }
}
