package dev.rerankqueue.messaging;

import dev.rerankqueue.job.Priority;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Kafka topic names and record headers shared by gateway and worker. */
public final class Topics {

    /**
     * Accepted interactive jobs; key = job id, value = a {@link dev.rerankqueue.job.RerankJob} as
     * JSON. Workers score them before anything waiting on {@link #JOBS_BATCH}.
     */
    public static final String JOBS = "rerank.jobs";

    /**
     * Accepted jobs of the {@link Priority#BATCH} lane (bulk submissions by default). A topic of
     * its own, so that a backfill of thousands of jobs never sits in front of an interactive job in
     * a partition.
     */
    public static final String JOBS_BATCH = "rerank.jobs.batch";

    /**
     * Interactive jobs of a tenant whose queued work was already past its front share when they
     * were accepted (the gateway's {@code rerank.admission.front-backlog}). Workers read it beside
     * {@link #JOBS} and score its jobs in the same lane, taking turns by tenant: what it holds is
     * never ahead of another tenant's job in a partition of {@link #JOBS}.
     */
    public static final String JOBS_OVERFLOW = "rerank.jobs.overflow";

    /** As {@link #JOBS_OVERFLOW}, for the batch lane: read beside {@link #JOBS_BATCH}. */
    public static final String JOBS_BATCH_OVERFLOW = "rerank.jobs.batch.overflow";

    /** Every topic jobs are accepted on: each lane's own and its overflow. */
    public static final List<String> JOB_TOPICS =
            List.of(JOBS, JOBS_OVERFLOW, JOBS_BATCH, JOBS_BATCH_OVERFLOW);

    /** Records that cannot be processed, with {@link #HEADER_DLQ_REASON} saying why. */
    public static final String JOBS_DLQ = "rerank.jobs.dlq";

    /** Compacted record of every terminal result; key = job id. */
    public static final String RESULTS = "rerank.results";

    /**
     * Consumer group of the workers on the {@link #JOB_TOPICS}; its lag is the backlog the
     * gateway's admission control reads and the autoscaler scales on.
     */
    public static final String WORKER_GROUP = "rerank-workers";

    public static final String HEADER_DLQ_REASON = "rerank-dlq-reason";
    public static final String HEADER_DLQ_SOURCE = "rerank-dlq-source";

    /**
     * Partitions of {@link #JOBS} where nothing overrides them (as declared): they bound the
     * consumers of a group, and so the workers.
     */
    public static final int DEFAULT_JOB_PARTITIONS = 12;

    /** Largest record the jobs topic takes (topic max.message.bytes, producer max.request.size). */
    public static final int MAX_RECORD_BYTES = 5 * 1024 * 1024;

    /** Where the topics are declared, with partitions and configs: a classpath resource. */
    public static final String DECLARATIONS = "topics.conf";

    /**
     * A topic as {@link #DECLARATIONS} declares it.
     *
     * @param partitions the count where nothing overrides it
     * @param scales whether the count follows the job partitions a setup asks for
     * @param configs topic configs, in declared order
     */
    public record Declared(
            String name, int partitions, boolean scales, Map<String, String> configs) {

        /** The partitions to create where a setup asks for {@code jobPartitions}. */
        public int partitions(int jobPartitions) {
            return scales ? jobPartitions : partitions;
        }
    }

    private Topics() {}

    /** Every topic, as declared in {@link #DECLARATIONS}. */
    public static List<Declared> declared() {
        try (InputStream in = Topics.class.getResourceAsStream(DECLARATIONS)) {
            if (in == null) {
                throw new IllegalStateException("no " + DECLARATIONS + " next to " + Topics.class);
            }
            List<Declared> topics = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.strip().split("\\s+");
                if (f[0].isEmpty() || f[0].startsWith("#")) {
                    continue;
                }
                Map<String, String> configs = new LinkedHashMap<>();
                for (int i = 3; i < f.length; i++) {
                    String[] kv = f[i].split("=", 2);
                    configs.put(kv[0], kv[1]);
                }
                topics.add(
                        new Declared(
                                f[0],
                                Integer.parseInt(f[1]),
                                "yes".equals(f[2]),
                                Map.copyOf(configs)));
            }
            return List.copyOf(topics);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The jobs topic of a lane; {@code null} is the interactive lane. */
    public static String jobs(Priority lane) {
        return lane == Priority.BATCH ? JOBS_BATCH : JOBS;
    }

    /** The overflow topic of a lane; {@code null} is the interactive lane. */
    public static String jobsOverflow(Priority lane) {
        return lane == Priority.BATCH ? JOBS_BATCH_OVERFLOW : JOBS_OVERFLOW;
    }

    /** Whether {@code topic} is a lane's overflow topic, of any {@link ModelPool}. */
    public static boolean isOverflow(String topic) {
        return topic.endsWith(".jobs.overflow") || topic.endsWith(".jobs.batch.overflow");
    }

    /** The lane whose jobs are on {@code topic} (of any {@link ModelPool}): its own or overflow. */
    public static Priority lane(String topic) {
        return topic.endsWith(".jobs.batch") || topic.endsWith(".jobs.batch.overflow")
                ? Priority.BATCH
                : Priority.INTERACTIVE;
    }

    /**
     * The topics of {@code pool} as declared: its own jobs topics, with the declarations of the
     * default pool's; the DLQ and results topics, which every pool shares, only for the default
     * pool.
     */
    public static List<Declared> declared(ModelPool pool) {
        return declared().stream()
                .filter(t -> pool.isDefault() || JOB_TOPICS.contains(t.name()))
                .map(
                        t ->
                                JOB_TOPICS.contains(t.name())
                                        ? new Declared(
                                                pool.topic(t.name()),
                                                t.partitions(),
                                                t.scales(),
                                                t.configs())
                                        : t)
                .toList();
    }
}
