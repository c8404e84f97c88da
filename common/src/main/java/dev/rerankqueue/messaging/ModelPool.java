package dev.rerankqueue.messaging;

import dev.rerankqueue.job.Priority;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The workers of one model, and the jobs topics and consumer group they share. Every model served
 * beside another has a pool of its own: a job reaches only the workers of the model it names, a
 * backlog of one model never holds up or refuses another's, and each pool scales on its own lag.
 *
 * <p>The {@value #DEFAULT} pool keeps the names of a one-model setup ({@link Topics#JOBS}, {@link
 * Topics#WORKER_GROUP}, ...) and takes the jobs that name no model. Pool {@code P}'s topics are the
 * declared jobs topics with {@code P} after the leading {@code rerank.} ({@code rerank.P.jobs},
 * {@code rerank.P.jobs.batch}, {@code rerank.P.jobs.overflow}, {@code
 * rerank.P.jobs.batch.overflow}, declared as in {@link Topics#DECLARATIONS}), its group {@code
 * rerank-workers-P}. Results, the DLQ and Redis are shared: a job id is unique across pools.
 *
 * @param name lower-case letters, digits and inner dashes, at most {@value #MAX_NAME} characters (a
 *     Kafka topic and a Kubernetes label can carry it)
 */
public record ModelPool(String name) {

    // before DEFAULT_POOL, which is checked against it
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");

    /** The pool of a one-model setup, and of jobs naming no model. */
    public static final String DEFAULT = "default";

    public static final ModelPool DEFAULT_POOL = new ModelPool(DEFAULT);

    public static final int MAX_NAME = 40;

    private static final String PREFIX = "rerank.";

    public ModelPool {
        if (name == null || name.length() > MAX_NAME || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "a model pool is named with lower-case letters, digits and inner dashes, at most "
                            + MAX_NAME
                            + " characters: "
                            + name);
        }
    }

    /** The pool called {@code name}; the default pool for null or blank. */
    public static ModelPool of(String name) {
        return name == null || name.isBlank() ? DEFAULT_POOL : new ModelPool(name.strip());
    }

    public boolean isDefault() {
        return DEFAULT.equals(name);
    }

    /** This pool's name of a declared jobs topic ({@link Topics#JOB_TOPICS}). */
    public String topic(String declared) {
        if (!Topics.JOB_TOPICS.contains(declared)) {
            throw new IllegalArgumentException(declared + " is not a jobs topic");
        }
        return isDefault() ? declared : PREFIX + name + "." + declared.substring(PREFIX.length());
    }

    /** The pool's jobs topic of a lane. */
    public String jobs(Priority lane) {
        return topic(Topics.jobs(lane));
    }

    /** The pool's overflow topic of a lane. */
    public String overflow(Priority lane) {
        return topic(Topics.jobsOverflow(lane));
    }

    /** Every jobs topic of the pool: each lane's own and its overflow. */
    public List<String> jobTopics() {
        return Topics.JOB_TOPICS.stream().map(this::topic).toList();
    }

    /** The consumer group of the pool's workers, whose lag is the pool's backlog. */
    public String group() {
        return isDefault() ? Topics.WORKER_GROUP : Topics.WORKER_GROUP + "-" + name;
    }

    @Override
    public String toString() {
        return name;
    }
}
