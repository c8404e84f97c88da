package dev.rerankqueue.gateway;

import dev.rerankqueue.testing.PackageLayers;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gateway's packages, highest first: the HTTP layer on top maps what the layers below decide;
 * errors are raised where they are decided and only the HTTP layer turns them into responses.
 */
class PackageLayersTest {

    /** The packages, highest first. */
    static final List<String> TOP_DOWN =
            List.of(
                    "api", // HTTP resources, request parsing, problem+json mapping
                    "lifecycle", // cancelling jobs
                    "sse", // following a job: server-sent events and sync waits
                    "admission", // accepting a job: limits, quotas, backlog, models, Kafka
                    "webhook", // announcing a job's end: allowed targets, signatures, delivery
                    "auth", // API keys and tenants
                    "store", // job and batch state in Redis
                    "config", // the gateway's configuration
                    "problem" // the base of every error with an HTTP meaning
                    );

    @Test
    void packagesOnlyUseThePackagesBelowThem() {
        PackageLayers.check("dev.rerankqueue.gateway", TOP_DOWN.toArray(String[]::new));
    }

    @Test
    void theReadmesListThePackagesInTheirOrder() throws IOException {
        PackageLayers.checkListedInReadmes("dev.rerankqueue.gateway", TOP_DOWN);
    }
}
