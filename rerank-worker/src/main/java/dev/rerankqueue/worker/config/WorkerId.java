package dev.rerankqueue.worker.config;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;

/**
 * This worker's name in job state, logs and capacity announcements: {@code rerank.worker.id}, or
 * host name and pid.
 */
public final class WorkerId {

    private WorkerId() {}

    public static String of(WorkerConfig config) {
        return config.id().orElseGet(WorkerId::hostAndPid);
    }

    private static String hostAndPid() {
        try {
            return InetAddress.getLocalHost().getHostName()
                    + "-"
                    + ManagementFactory.getRuntimeMXBean().getPid();
        } catch (Exception e) {
            return "worker-" + ProcessHandle.current().pid();
        }
    }
}
