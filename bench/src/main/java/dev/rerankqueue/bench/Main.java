package dev.rerankqueue.bench;

import dev.rerankqueue.bench.emulator.EmulatorSettings;
import dev.rerankqueue.bench.emulator.Faults;
import dev.rerankqueue.bench.emulator.VllmEmulator;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.scenario.Accept;
import dev.rerankqueue.bench.scenario.Burst;
import dev.rerankqueue.bench.scenario.Deadlines;
import dev.rerankqueue.bench.scenario.Efficiency;
import dev.rerankqueue.bench.scenario.Latency;
import dev.rerankqueue.bench.scenario.Neighbour;
import dev.rerankqueue.bench.scenario.NoisyNeighbour;
import dev.rerankqueue.bench.scenario.Overload;
import dev.rerankqueue.bench.scenario.PriorityLanes;
import dev.rerankqueue.bench.scenario.Scale;
import dev.rerankqueue.bench.scenario.SeedTable;
import dev.rerankqueue.bench.scenario.TwoModels;
import dev.rerankqueue.bench.scenario.Upload;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Command line of the bench jar: {@code emulator} runs the vLLM emulator; the other commands are
 * load scenarios.
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            return;
        }
        Map<String, String> flags = flags(args);
        switch (args[0]) {
            case "emulator" -> emulator(flags);
            case "efficiency",
                    "burst",
                    "latency",
                    "seed-table",
                    "priority",
                    "upload",
                    "accept",
                    "flood",
                    "neighbour",
                    "noisy-neighbour",
                    "two-models",
                    "deadlines" ->
                    scenario(args[0], flags);
            case "overload", "admission" -> {
                Stack stack =
                        new Stack(
                                flags.getOrDefault("gateway", "http://127.0.0.1:8080"),
                                List.of(),
                                List.of(),
                                flags.getOrDefault("api-key", System.getenv("RERANK_API_KEY")));
                Overload o = new Overload(stack);
                if (args[0].equals("overload")) {
                    o.overload(
                            Integer.parseInt(flags.getOrDefault("connections", "64")),
                            Integer.parseInt(flags.getOrDefault("ceiling-seconds", "10")),
                            Double.parseDouble(flags.getOrDefault("ceiling", "0")),
                            Double.parseDouble(flags.getOrDefault("factor", "3")),
                            Integer.parseInt(flags.getOrDefault("seconds", "15")));
                } else {
                    o.admission(
                            Double.parseDouble(flags.getOrDefault("rate", "60")),
                            Integer.parseInt(flags.getOrDefault("seconds", "20")),
                            Integer.parseInt(flags.getOrDefault("limit", "20")));
                }
                System.exit(0);
            }
            case "scale" -> {
                Scale.run(
                        Path.of("").toAbsolutePath(),
                        Arrays.stream(flags.getOrDefault("counts", "1,2,4").split(","))
                                .mapToInt(Integer::parseInt)
                                .toArray(),
                        Double.parseDouble(flags.getOrDefault("time-scale", "40")),
                        Double.parseDouble(flags.getOrDefault("overload", "1.5")),
                        Integer.parseInt(flags.getOrDefault("seconds", "40")),
                        Integer.parseInt(flags.getOrDefault("warmup", "30")),
                        flags.getOrDefault("api-key", System.getenv("RERANK_API_KEY")),
                        charts(flags));
                System.exit(0);
            }
            default -> usage();
        }
    }

    private static void emulator(Map<String, String> f) throws Exception {
        EmulatorSettings s =
                new EmulatorSettings(
                        f.getOrDefault("host", "127.0.0.1"),
                        Integer.parseInt(f.getOrDefault("port", "8000")),
                        f.getOrDefault("model", "Qwen/Qwen3-Reranker-0.6B"),
                        Integer.parseInt(f.getOrDefault("max-num-seqs", "256")),
                        Integer.parseInt(f.getOrDefault("max-num-batched-tokens", "16384")),
                        Integer.parseInt(f.getOrDefault("max-model-len", "32768")),
                        Double.parseDouble(f.getOrDefault("time-scale", "1.0")),
                        new Faults(
                                Double.parseDouble(f.getOrDefault("error-rate", "0")),
                                Double.parseDouble(f.getOrDefault("spike-rate", "0")),
                                Long.parseLong(f.getOrDefault("spike-ms", "0")),
                                Boolean.parseBoolean(f.getOrDefault("hang", "false"))),
                        schedulingPolicy(f.getOrDefault("scheduling-policy", "fcfs")),
                        Boolean.parseBoolean(f.getOrDefault("debug-endpoints", "false")));
        VllmEmulator e = VllmEmulator.start(s);
        Runtime.getRuntime().addShutdownHook(new Thread(e::close));
        System.out.printf(
                "vLLM EMULATOR (not vLLM): %s on http://%s:%d, cost model of one H100 (bench/calibration, compiled),"
                        + " max-num-seqs %d, max-num-batched-tokens %d, scheduling %s%n",
                s.model(),
                s.host(),
                e.port(),
                s.maxNumSeqs(),
                s.maxNumBatchedTokens(),
                s.priorityScheduling() ? "priority" : "fcfs");
        Thread.currentThread().join();
    }

    private static boolean schedulingPolicy(String policy) {
        return switch (policy) {
            case "fcfs" -> false;
            case "priority" -> true;
            default ->
                    throw new IllegalArgumentException(
                            "--scheduling-policy is fcfs or priority, got " + policy);
        };
    }

    private static void scenario(String name, Map<String, String> f) throws Exception {
        Stack stack =
                new Stack(
                        f.getOrDefault("gateway", "http://127.0.0.1:8080"),
                        List.of(f.getOrDefault("emulators", "http://127.0.0.1:8101").split(",")),
                        List.of(f.getOrDefault("workers", "http://127.0.0.1:8091").split(",")),
                        f.getOrDefault("api-key", System.getenv("RERANK_API_KEY")));
        int seconds = Integer.parseInt(f.getOrDefault("seconds", "30"));
        Path charts = charts(f);
        switch (name) {
            case "efficiency" -> new Efficiency(stack, seconds, charts).run();
            case "burst" ->
                    new Burst(stack, seconds, charts)
                            .run(Integer.parseInt(f.getOrDefault("jobs", "5000")));
            case "latency" -> new Latency(stack, seconds, charts).run();
            case "accept" ->
                    new Accept(
                                    stack,
                                    Integer.parseInt(f.getOrDefault("seconds", "10")),
                                    charts,
                                    Integer.parseInt(f.getOrDefault("connections", "64")))
                            .run();
            case "flood" ->
                    new Accept(
                                    stack,
                                    Integer.parseInt(f.getOrDefault("seconds", "15")),
                                    charts,
                                    Integer.parseInt(f.getOrDefault("connections", "2048")))
                            .flood();
            case "neighbour" -> new Neighbour(stack, f.get("abuser-key"), seconds, charts).run();
            case "noisy-neighbour" ->
                    new NoisyNeighbour(stack, f.get("abuser-key"), seconds, charts).run();
            case "deadlines" -> new Deadlines(stack, seconds, charts).run();
            case "two-models" ->
                    new TwoModels(
                                    stack,
                                    f.getOrDefault("quiet-model", "Qwen/Qwen3-Reranker-0.6B"),
                                    f.getOrDefault("flooded-model", "Qwen/Qwen3-Reranker-4B"),
                                    seconds,
                                    charts)
                            .run();
            case "upload" ->
                    new Upload(stack, seconds, charts)
                            .run(Integer.parseInt(f.getOrDefault("jobs", "50000")));
            case "priority" ->
                    new PriorityLanes(stack, seconds, charts)
                            .run(Integer.parseInt(f.getOrDefault("jobs", "10000")));
            default ->
                    new SeedTable(stack, seconds, charts)
                            .run(
                                    Arrays.stream(
                                                    f.getOrDefault("levels", "10,30,50,100")
                                                            .split(","))
                                            .mapToInt(Integer::parseInt)
                                            .toArray());
        }
        System.exit(0);
    }

    private static Path charts(Map<String, String> f) {
        return Path.of(f.getOrDefault("charts", "bench/target/charts"));
    }

    static Map<String, String> flags(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                String name = args[i].substring(2);
                int eq = name.indexOf('=');
                if (eq > 0) {
                    out.put(name.substring(0, eq), name.substring(eq + 1));
                } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                    out.put(name, args[++i]);
                } else {
                    out.put(name, "true");
                }
            }
        }
        return out;
    }

    private static void usage() {
        System.out.println(
                """
                usage: java -jar bench/target/bench.jar emulator [--port 8000] [--host 127.0.0.1] [--model NAME]
                          [--max-num-seqs 256] [--max-num-batched-tokens 16384] [--max-model-len 32768] [--time-scale 1.0]
                          [--error-rate 0] [--spike-rate 0 --spike-ms 0] [--hang] [--scheduling-policy fcfs|priority]
                          [--debug-endpoints true (GET /emulator/last-request, POST /emulator/faults: tests only)]
                       java -jar bench/target/bench.jar efficiency|burst|latency|seed-table|priority [--seconds 30]
                          [--jobs 5000 (burst) | 10000 (priority)]
                          [--levels 10,30,50,100] [--gateway http://127.0.0.1:8080] [--emulators URL,URL]
                          [--workers URL,URL] [--api-key KEY] [--charts bench/target/charts]
                       java -jar bench/target/bench.jar accept [--seconds 10] [--connections 64] (wrk, workers paused)
                       java -jar bench/target/bench.jar flood [--seconds 15] [--connections 2048] (wrk, 1 s a request)
                       java -jar bench/target/bench.jar neighbour --api-key KEY --abuser-key OTHER_KEY [--seconds 30]
                          (a tenant's sync p99 alone, then while another tenant sends the abuse cases)
                       java -jar bench/target/bench.jar noisy-neighbour --api-key KEY --abuser-key OTHER_KEY [--seconds 30]
                          (a tenant's sync p99 at 30 % load alone, then while another floods at 10 x capacity)
                       java -jar bench/target/bench.jar two-models --emulators QUIET,FLOODED [--quiet-model NAME] [--flooded-model NAME] [--seconds 30]
                          (a model's sync p99 and efficiency alone, then while another model is flooded at 3 x its capacity)
                       java -jar bench/target/bench.jar deadlines [--seconds 30]
                          (jobs with mixed deadlines at 0.8 x, then 2 x capacity: late model time, predicted start)
                       java -jar bench/target/bench.jar overload [--connections 64] [--ceiling-seconds 10] [--ceiling JOBS_PER_S (else measured)] [--factor 3] [--seconds 15]
                       java -jar bench/target/bench.jar admission [--rate 60] [--seconds 20] [--limit 20 (the gateway's max-backlog, s)]
                       java -jar bench/target/bench.jar scale [--counts 1,2,4] [--time-scale 40] [--overload 1.5] [--warmup 30] [--seconds 40]
                          (run from the project root: starts and stops a local stack per count through deploy/local)
                   (bench/run.sh SCENARIO starts the stack with SCORER=emulator, runs it, and stops the stack)
                """);
    }
}
