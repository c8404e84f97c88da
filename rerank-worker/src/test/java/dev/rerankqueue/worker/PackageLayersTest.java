package dev.rerankqueue.worker;

import dev.rerankqueue.testing.PackageLayers;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker's packages, highest first. */
class PackageLayersTest {

    /** The packages, highest first. */
    static final List<String> TOP_DOWN =
            List.of(
                    "batch", // a Kafka batch from poll to acknowledgement
                    "health", // readiness
                    "store", // job state in Redis
                    "scoring", // micro-batches, the scorers, lanes, cache
                    "config" // the worker's configuration
                    );

    @Test
    void packagesOnlyUseThePackagesBelowThem() {
        PackageLayers.check("dev.rerankqueue.worker", TOP_DOWN.toArray(String[]::new));
    }

    @Test
    void theReadmesListThePackagesInTheirOrder() throws IOException {
        PackageLayers.checkListedInReadmes("dev.rerankqueue.worker", TOP_DOWN);
    }
}
