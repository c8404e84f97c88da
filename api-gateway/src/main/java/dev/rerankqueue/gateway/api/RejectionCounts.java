package dev.rerankqueue.gateway.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * {@code rerank.requests.rejected{reason}}: requests answered with an error, by the problem's slug.
 * The reasons an operator alerts on are exported as 0 from the start, so that {@code rate()} and
 * alert rules have a series before the first refusal.
 */
@ApplicationScoped
public class RejectionCounts {

    /** The refusals that say the service is short of something: present from the start. */
    static final List<String> ALERTED =
            List.of(
                    "backlog-full",
                    "queue-unavailable",
                    "quota-exceeded",
                    "store-unavailable",
                    "storage-full",
                    "overloaded");

    private final MeterRegistry metrics;

    public RejectionCounts(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    void exportFromTheStart(@Observes StartupEvent ignored) {
        for (String reason : ALERTED) {
            metrics.counter("rerank.requests.rejected", "reason", reason);
        }
    }

    /** One request refused for {@code reason}. */
    public void count(String reason) {
        metrics.counter("rerank.requests.rejected", "reason", reason).increment();
    }
}
