package dev.rerankqueue.gateway.admission;

import java.time.Duration;

/** Opens JobProducer's start-up checks to tests in other packages. */
public final class JobSubmitterChecks {

    private JobSubmitterChecks() {}

    public static void producerGivesUpFirst(Duration sendTimeout) {
        JobProducer.checkProducerGivesUpFirst(sendTimeout);
    }
}
