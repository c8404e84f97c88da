package dev.rerankqueue.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the system under test runs, and how to read its counters (emulator stats, worker metrics).
 */
public record Stack(String gateway, List<String> emulators, List<String> workers, String apiKey) {

    /** Pairs scored and GPU-busy seconds, summed over every emulator. */
    public record GpuCounters(long pairs, double busySeconds, long passes) {}

    public GpuCounters gpu(LoadClient client) throws Exception {
        long pairs = 0;
        double busy = 0;
        long passes = 0;
        for (GpuCounters c : gpuEach(client)) {
            pairs += c.pairs();
            busy += c.busySeconds();
            passes += c.passes();
        }
        return new GpuCounters(pairs, busy, passes);
    }

    /** The counters of each emulator, in the order of {@link #emulators()}. */
    public List<GpuCounters> gpuEach(LoadClient client) throws Exception {
        List<GpuCounters> out = new ArrayList<>();
        for (String e : emulators) {
            JsonNode s = client.getJson(e + "/emulator/stats");
            out.add(
                    new GpuCounters(
                            s.get("pairs").asLong(),
                            s.get("gpu_busy_seconds").asDouble(),
                            s.get("forward_passes").asLong()));
        }
        return out;
    }

    /** Jobs finished with {@code status} over every worker, from their Prometheus metrics. */
    public long finishedJobs(LoadClient client, String status) throws Exception {
        long total = 0;
        Pattern p =
                Pattern.compile(
                        "(?m)^rerank_jobs_finished_total\\{[^}]*status=\""
                                + status
                                + "\"[^}]*} ([0-9.eE+]+)$");
        for (String w : workers) {
            Matcher m = p.matcher(client.get(w + "/q/metrics").body());
            while (m.find()) {
                total += (long) Double.parseDouble(m.group(1));
            }
        }
        return total;
    }
}
