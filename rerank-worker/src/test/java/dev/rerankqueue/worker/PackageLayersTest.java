package dev.rerankqueue.worker;

import dev.rerankqueue.testing.PackageLayers;
import org.junit.jupiter.api.Test;

/** The worker's packages, highest first. */
class PackageLayersTest {

    @Test
    void packagesOnlyUseThePackagesBelowThem() {
        PackageLayers.check(
                "dev.rerankqueue.worker",
                "batch", // a Kafka batch from poll to acknowledgement
                "health", // readiness
                "store", // job state in Redis
                "scoring", // micro-batches, the scorers, lanes, cache
                "config"); // the worker's configuration
    }
}
