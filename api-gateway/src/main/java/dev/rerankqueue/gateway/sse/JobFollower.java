package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.gateway.store.StoreException;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.store.JobEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Follows one job: emits its state now and after every change (by version, never twice) and every
 * progress count of a large running job, completes after the terminal state. It listens before it
 * reads, so no change between subscribe and read is missed, and re-reads on a timer so that a lost
 * pub/sub message only delays an update.
 */
@ApplicationScoped
public class JobFollower {

    private static final Logger LOG = Logger.getLogger(JobFollower.class);

    private final JobEventHub hub;
    private final JobStore store;
    private final Vertx vertx;
    private final Duration fallbackPoll;

    public JobFollower(JobEventHub hub, JobStore store, Vertx vertx, GatewayConfig config) {
        this.hub = hub;
        this.store = store;
        this.vertx = vertx;
        this.fallbackPoll = config.events().fallbackPoll();
    }

    /**
     * States of job {@code id} owned by {@code tenant} with a version above {@code afterVersion}
     * (the terminal state is always emitted); fails with a 404 {@link ApiException} if there is no
     * such job for this tenant.
     */
    public Multi<JobState> follow(String id, String tenant, long afterVersion) {
        return Multi.createFrom()
                .emitter(em -> new Follow(id, tenant, afterVersion, false, em).start());
    }

    /**
     * The terminal state of a job this gateway just accepted, or a 504 {@link ApiException} after
     * {@code timeout}. The job is known to exist, so a missing state means "not written yet" (the
     * worker writes it if the gateway's write was lost), never "not found".
     */
    public Uni<JobState> awaitEnd(String id, String tenant, Duration timeout) {
        return Multi.createFrom()
                .<JobState>emitter(em -> new Follow(id, tenant, 0, true, em).start())
                .filter(s -> s.status().isTerminal())
                .toUni()
                .ifNoItem()
                .after(timeout)
                .failWith(() -> SyncWaitException.syncTimeout(id, timeout));
    }

    /**
     * The terminal state of each of {@code ids} (jobs of {@code tenant}) as it finishes, in
     * finishing order; completes when all have finished. However many jobs, one read of all
     * unfinished ones per change burst or fallback interval: a 1,000-job batch stream costs one
     * Redis round trip per refresh, not one per job.
     */
    public Multi<JobState> followAll(List<String> ids, String tenant) {
        return Multi.createFrom().emitter(em -> new FollowAll(ids, tenant, em).start());
    }

    /**
     * Reads the job once, as {@link #follow} would see it: {@code null} for an unknown job or
     * another tenant's.
     */
    public Uni<JobState> read(String id, String tenant) {
        return store.find(id).map(s -> s != null && Objects.equals(s.tenant(), tenant) ? s : null);
    }

    /**
     * What both followers share: they listen to their jobs' events, re-read on a change and on the
     * fallback timer, and read one at a time (a change during a read asks for one more read after
     * it).
     */
    private abstract class Refresher {
        private final List<AutoCloseable> registrations = new ArrayList<>();

        /** Guarded by this. */
        boolean reading;

        /** Guarded by this. */
        boolean readAgain;

        /** Guarded by this. */
        boolean closed;

        private long timer = -1;

        /**
         * Listens to the events of {@code ids} that {@code worthReading} accepts, then reads now
         * and on the timer until closed.
         */
        final void start(
                Collection<String> ids, Predicate<JobEvent> worthReading, MultiEmitter<?> em) {
            for (String id : ids) {
                registrations.add(
                        hub.listen(
                                id,
                                event -> {
                                    if (worthReading.test(event)) {
                                        refresh();
                                    }
                                }));
            }
            em.onTermination(this::close);
            timer = vertx.setPeriodic(fallbackPoll.toMillis(), t -> refresh());
            refresh();
        }

        final void refresh() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                if (reading) {
                    readAgain = true;
                    return;
                }
                reading = true;
            }
            read();
        }

        /**
         * Reads the state; the read's end calls {@link #readEnded()}, and refreshes again if it
         * says so.
         */
        abstract void read();

        /**
         * Ends a read (call with this held): whether a change came during it, so that another read
         * is due.
         */
        final boolean readEnded() {
            reading = false;
            boolean again = readAgain;
            readAgain = false;
            return again;
        }

        private void close() {
            synchronized (this) {
                closed = true;
            }
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            for (AutoCloseable r : registrations) {
                try {
                    r.close();
                } catch (Exception ignored) {
                    // removing a listener cannot fail
                }
            }
        }
    }

    private final class Follow extends Refresher {
        private final String id;
        private final String tenant;
        private final MultiEmitter<? super JobState> em;
        private final boolean knownToExist;
        private volatile long lastVersion;
        private volatile int lastScored;
        private boolean seen;

        Follow(
                String id,
                String tenant,
                long afterVersion,
                boolean knownToExist,
                MultiEmitter<? super JobState> em) {
            this.id = id;
            this.tenant = tenant;
            this.lastVersion = afterVersion;
            this.knownToExist = knownToExist;
            this.em = em;
        }

        void start() {
            start(
                    List.of(id),
                    event -> event.version() > lastVersion || event.scored() > lastScored,
                    em);
        }

        @Override
        void read() {
            JobFollower.this.read(id, tenant).subscribe().with(this::handle, this::readFailed);
        }

        private void handle(JobState state) {
            JobState emit = null;
            boolean again;
            synchronized (this) {
                again = readEnded();
                if (closed) {
                    return;
                }
                seen = true;
                if (state == null) {
                    closed = !knownToExist;
                } else if (state.version() > lastVersion
                        || state.status().isTerminal()
                        || (state.status() == JobStatus.RUNNING && state.scored() > lastScored)) {
                    emit = state;
                    lastVersion = Math.max(lastVersion, state.version());
                    lastScored = state.scored();
                    closed = state.status().isTerminal();
                }
            }
            if (state == null && !knownToExist) {
                em.fail(StoreException.jobNotFound(id));
            } else if (emit != null) {
                em.emit(emit);
                if (emit.status().isTerminal()) {
                    em.complete();
                }
            }
            if (again) {
                refresh();
            }
        }

        private void readFailed(Throwable e) {
            boolean first;
            synchronized (this) {
                reading = false;
                first = !seen;
            }
            if (first) {
                em.fail(e);
            } else {
                LOG.debugf("re-reading job %s failed, will retry: %s", id, e.toString());
            }
        }
    }

    private final class FollowAll extends Refresher {
        private final String tenant;
        private final MultiEmitter<? super JobState> em;

        /** Jobs not finished yet, in batch order; guarded by this. */
        private final Set<String> open;

        FollowAll(List<String> ids, String tenant, MultiEmitter<? super JobState> em) {
            this.tenant = tenant;
            this.em = em;
            this.open = new LinkedHashSet<>(ids);
        }

        void start() {
            if (open.isEmpty()) {
                em.complete();
                return;
            }
            start(List.copyOf(open), event -> event.status().isTerminal(), em);
        }

        @Override
        void read() {
            List<String> ids;
            synchronized (this) {
                ids = List.copyOf(open);
            }
            store.findAll(ids).subscribe().with(states -> handle(ids, states), this::readFailed);
        }

        private void handle(List<String> ids, List<JobState> states) {
            List<JobState> finished = new ArrayList<>();
            boolean again;
            boolean done;
            synchronized (this) {
                again = readEnded();
                if (closed) {
                    return;
                }
                for (int i = 0; i < ids.size(); i++) {
                    JobState s = states.get(i);
                    // a job whose state is gone is waited for: the worker writes it again
                    if (s != null
                            && Objects.equals(s.tenant(), tenant)
                            && s.status().isTerminal()
                            && open.remove(ids.get(i))) {
                        finished.add(s);
                    }
                }
                done = open.isEmpty();
            }
            finished.forEach(em::emit);
            if (done) {
                em.complete();
            } else if (again) {
                refresh();
            }
        }

        private void readFailed(Throwable e) {
            synchronized (this) {
                reading = false;
            }
            LOG.debugf("reading a batch's jobs failed, will retry: %s", e.toString());
        }
    }
}
