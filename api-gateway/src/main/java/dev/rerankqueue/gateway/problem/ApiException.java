package dev.rerankqueue.gateway.problem;

import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.List;

/**
 * A failure with a known HTTP meaning, raised where the gateway decides it (admission, the store,
 * authentication, ...; each subclass lives with its concept) and turned into an RFC 9457 problem by
 * the HTTP layer. Every instance is one stable problem {@code type}.
 */
public class ApiException extends RuntimeException {

    /**
     * What kind of failure this is: its HTTP status, the stable slug of its problem {@code type}
     * and its title, the same for every instance.
     */
    public record Kind(int status, String slug, String title) {}

    /**
     * What a problem may say beyond its detail: the job it is about, when to try again, which
     * fields of the request were wrong. Each is null where the failure has none.
     */
    public record Facts(
            String jobId, Duration retryAfter, List<Violation> errors, Long earliestDeadlineMs) {

        public Facts(String jobId, Duration retryAfter, List<Violation> errors) {
            this(jobId, retryAfter, errors, null);
        }

        /** Nothing beyond the detail. */
        public static final Facts NONE = new Facts(null, null, null);

        public static Facts aboutJob(String jobId) {
            return NONE.andAboutJob(jobId);
        }

        public static Facts retryAfter(Duration wait) {
            return NONE.andRetryAfter(wait);
        }

        public static Facts errors(List<Violation> errors) {
            return new Facts(null, null, errors);
        }

        public Facts andAboutJob(String id) {
            return new Facts(id, retryAfter, errors, earliestDeadlineMs);
        }

        public Facts andRetryAfter(Duration wait) {
            return new Facts(jobId, wait, errors, earliestDeadlineMs);
        }

        /** With the shortest {@code deadline_ms} that would be accepted now. */
        public Facts andEarliestDeadline(Duration earliest) {
            return new Facts(jobId, retryAfter, errors, earliest.toMillis());
        }
    }

    private final Kind kind;
    private final transient Facts facts;

    protected ApiException(Kind kind, String detail, Facts facts) {
        super(detail);
        this.kind = kind;
        this.facts = facts;
    }

    /** The problem+json body of this failure; {@code instance} is the request path, or null. */
    public Problem problem(String instance) {
        return new Problem(
                "/problems/" + kind.slug(),
                kind.title(),
                kind.status(),
                getMessage(),
                instance,
                facts.jobId(),
                facts.errors(),
                facts.earliestDeadlineMs());
    }

    /**
     * {@code Retry-After} in whole seconds, rounded up and at least 1; null when the failure has
     * none.
     */
    public Long retryAfterSeconds() {
        Duration wait = facts.retryAfter();
        return wait == null ? null : Math.max(1, (wait.toMillis() + 999) / 1000);
    }

    public int status() {
        return kind.status();
    }

    public String slug() {
        return kind.slug();
    }

    public String title() {
        return kind.title();
    }

    public String jobId() {
        return facts.jobId();
    }

    public Duration retryAfter() {
        return facts.retryAfter();
    }

    public List<Violation> errors() {
        return facts.errors();
    }
}
