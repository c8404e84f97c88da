package dev.rerankqueue.worker.health;

import dev.rerankqueue.worker.scoring.Scorer;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while the scorer can take work; Kafka consumer readiness is reported by the messaging
 * extension.
 */
@Readiness
@ApplicationScoped
public class ScorerReadiness implements HealthCheck {

    private final Scorer scorer;

    public ScorerReadiness(Scorer scorer) {
        this.scorer = scorer;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("scorer")
                .status(scorer.isReady())
                .withData("model", scorer.model())
                .build();
    }
}
