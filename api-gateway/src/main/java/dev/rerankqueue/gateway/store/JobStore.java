package dev.rerankqueue.gateway.store;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.TransitionOutcome;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The gateway's only door to job state in Redis: reads, and compare-and-set writes through {@link
 * JobTransition}. Reads are coalesced: a read that finds {@value #MAX_READS} others in flight waits
 * and goes with the next, in one script call of up to {@value #KEYS_PER_READ} jobs. So 10,000 SSE
 * streams opened at once cost a few dozen round trips on a few connections, and the Redis pool is
 * never what refuses a client; a lone read goes at once.
 */
@ApplicationScoped
public class JobStore {

    /** Round trips of reads in flight at once. */
    static final int MAX_READS = 4;

    /** Jobs read in one round trip. */
    static final int KEYS_PER_READ = 256;

    /**
     * Lua shared by the read scripts: a job hash as HGETALL returned it, with the milliseconds the
     * job has left to live appended as the pseudo-field {@link JobFields#EXPIRES_IN_MS}.
     */
    private static final String WITH_TIME_LEFT =
            """
            local function with_time_left(key, h)
              local left = redis.call('PTTL', key)
              if left > 0 then h[#h + 1] = '%s'; h[#h + 1] = tostring(left) end
              return h
            end
            """
                    .formatted(JobFields.EXPIRES_IN_MS);

    private static final String READ_ALL =
            WITH_TIME_LEFT
                    + """
            local out = {}
            for i, k in ipairs(KEYS) do out[i] = with_time_left(k, redis.call('HGETALL', k)) end
            return out
            """;

    /** Each job's status, in order, {@code ''} for a job whose state is gone. */
    private static final String READ_STATUSES =
            """
            local out = {}
            for i, k in ipairs(KEYS) do out[i] = redis.call('HGET', k, 'status') or '' end
            return out
            """;

    /** Bytes of results one page of the job list carries at most when results are asked for. */
    static final long MAX_PAGE_RESULT_BYTES = 8L << 20;

    /**
     * One page of a tenant's jobs, newest first: walks the tenant's index from below {@code after}
     * (or the newest), reads each job's status and metadata, drops ids whose state expired, and
     * keeps those that match the status and metadata filters, until {@code limit} match or {@code
     * scan} were looked at. A matched job's hash is read without its result unless results are
     * asked for, and then only until the page holds {@value #MAX_PAGE_RESULT_BYTES} bytes of them.
     * Replies {matched ids, their hashes (with the time left to live), the last id looked at, more
     * left}.
     */
    private static final String LIST =
            WITH_TIME_LEFT
                    + """
            local index, prefix = KEYS[1], ARGV[1]
            local after, limit, scan, status = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
            local withResults, maxBytes, bytes = ARGV[6] == '1', tonumber(ARGV[7]), 0
            -- by rank, not by score: jobs created in the same millisecond keep one order, so a page
            -- goes on right after its 'after' however many share its time
            local start = 0
            if after ~= '' then
              local rank = redis.call('ZREVRANK', index, after)
              if not rank then return {{}, {}, '', '0', 'unknown-after'} end
              start = rank + 1
            end
            local ids = redis.call('ZREVRANGE', index, start, start + scan)
            local looked, last, matched, hashes = 0, '', {}, {}
            for _, id in ipairs(ids) do
              if looked == scan or #matched == limit or bytes > maxBytes then
                return {matched, hashes, last, '1', ''}
              else
                looked, last = looked + 1, id
                local key = prefix .. id
                local sm = redis.call('HMGET', key, 'status', 'metadata')
                if not sm[1] then
                  redis.call('ZREM', index, id)
                else
                  local ok = true
                  if status ~= '' and sm[1] ~= status then ok = false end
                  if ok and #ARGV > 7 then
                    local meta = sm[2] and cjson.decode(sm[2]) or {}
                    for m = 8, #ARGV, 2 do
                      if meta[ARGV[m]] ~= ARGV[m + 1] then ok = false end
                    end
                  end
                  if ok then
                    local names, wanted = redis.call('HKEYS', key), {}
                    for _, f in ipairs(names) do
                      if withResults or f ~= 'result' then wanted[#wanted + 1] = f end
                    end
                    local values = redis.call('HMGET', key, unpack(wanted))
                    local h = {}
                    for f = 1, #wanted do
                      h[#h + 1] = wanted[f]
                      h[#h + 1] = values[f]
                      if wanted[f] == 'result' then bytes = bytes + #values[f] end
                    end
                    matched[#matched + 1] = id
                    hashes[#hashes + 1] = with_time_left(key, h)
                  end
                end
              end
            end
            return {matched, hashes, last, #ids > scan and '1' or '0', ''}
            """;

    /**
     * A page of a tenant's jobs: those that matched, the last job id looked at (the {@code after}
     * of the next page), and whether the index goes on.
     */
    public record Page(List<JobState> jobs, String lastId, boolean hasMore) {}

    /**
     * A tenant's jobs newest first, after job {@code after} (or from the newest): up to {@code
     * limit} that have {@code status} (any when null) and every {@code metadata} entry, looking at
     * {@code scan} jobs at most. Fails with 404 when {@code after} is not one of the tenant's jobs.
     */
    public Uni<Page> list(
            String tenant,
            String after,
            int limit,
            int scan,
            String status,
            boolean withResults,
            Map<String, String> metadata) {
        List<String> args = new ArrayList<>();
        args.add(LIST);
        args.add("1");
        args.add(RedisKeys.tenantJobs(tenant));
        args.add(RedisKeys.JOB_PREFIX);
        args.add(after == null ? "" : after);
        args.add(Integer.toString(limit));
        args.add(Integer.toString(scan));
        args.add(status == null ? "" : status);
        args.add(withResults ? "1" : "0");
        args.add(Long.toString(MAX_PAGE_RESULT_BYTES));
        metadata.forEach(
                (k, v) -> {
                    args.add(k);
                    args.add(v);
                });
        return RedisScripts.eval(redis, args.toArray(String[]::new))
                .map(
                        reply -> {
                            if (!reply.get(4).toString().isEmpty()) {
                                throw StoreException.jobNotFound(after);
                            }
                            List<JobState> jobs = new ArrayList<>();
                            Response ids = reply.get(0);
                            Response hashes = reply.get(1);
                            for (int i = 0; i < ids.size(); i++) {
                                jobs.add(
                                        JobFields.toState(
                                                ids.get(i).toString(), fields(hashes.get(i))));
                            }
                            String last = reply.get(2).toString();
                            return new Page(
                                    jobs,
                                    last.isEmpty() ? null : last,
                                    "1".equals(reply.get(3).toString()));
                        })
                .onFailure()
                .transform(JobStore::unavailable);
    }

    private static Map<String, String> fields(Response hash) {
        Map<String, String> fields = new HashMap<>();
        for (int f = 0; f + 1 < hash.size(); f += 2) {
            fields.put(hash.get(f).toString(), hash.get(f + 1).toString());
        }
        return fields;
    }

    /**
     * The status of each of {@code ids}, in order ({@code null} for a job whose state is gone),
     * without reading anything else: one round trip per {@value #KEYS_PER_READ} jobs, {@value
     * #MAX_READS} at a time.
     */
    public Uni<List<JobStatus>> statuses(List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<List<String>> parts = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += KEYS_PER_READ) {
            parts.add(ids.subList(from, Math.min(ids.size(), from + KEYS_PER_READ)));
        }
        return Multi.createFrom()
                .iterable(parts)
                .onItem()
                .transformToUni(this::readStatuses)
                .concatenate()
                .collect()
                .asList()
                .map(lists -> lists.stream().flatMap(List::stream).toList());
    }

    private Uni<List<JobStatus>> readStatuses(List<String> ids) {
        List<String> args = new ArrayList<>(ids.size() + 2);
        args.add(READ_STATUSES);
        args.add(Integer.toString(ids.size()));
        ids.forEach(id -> args.add(RedisKeys.job(id)));
        return RedisScripts.eval(redis, args.toArray(String[]::new))
                .map(
                        reply -> {
                            List<JobStatus> out = new ArrayList<>(ids.size());
                            for (Response r : reply) {
                                String s = r == null ? "" : r.toString();
                                out.add(s.isEmpty() ? null : JobStatus.fromWire(s));
                            }
                            return out;
                        })
                .onFailure()
                .transform(JobStore::unavailable);
    }

    /** Where a read's answer goes: the state (or {@code null}), or why it failed. */
    private record Answer(Consumer<JobState> state, Consumer<Throwable> failure) {}

    private record Pending(String id, Answer answer) {}

    private final ReactiveRedisDataSource redis;
    private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger reading = new AtomicInteger();

    public JobStore(ReactiveRedisDataSource redis) {
        this.redis = redis;
    }

    /** The job's state, or {@code null} when there is no such job. */
    public Uni<JobState> find(String id) {
        return Uni.createFrom()
                .emitter(
                        em -> {
                            pending.add(new Pending(id, new Answer(em::complete, em::fail)));
                            drain();
                        });
    }

    /**
     * The states of {@code ids}, in order ({@code null} for a job that does not exist), read as
     * {@link #find} reads: coalesced with every other read of the gateway, {@value #KEYS_PER_READ}
     * jobs a round trip and {@value #MAX_READS} round trips at a time. So the streams of a large
     * batch, however many, hold at most that many Redis connections, and never exhaust the pool
     * other tenants' requests need.
     */
    public Uni<List<JobState>> findAll(List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Uni.createFrom()
                .<List<JobState>>emitter(
                        em -> {
                            // per subscription: a re-subscribed read starts afresh
                            JobState[] states = new JobState[ids.size()];
                            AtomicInteger left = new AtomicInteger(ids.size());
                            AtomicBoolean failed = new AtomicBoolean();
                            for (int i = 0; i < ids.size(); i++) {
                                int at = i;
                                pending.add(
                                        new Pending(
                                                ids.get(i),
                                                new Answer(
                                                        state -> {
                                                            states[at] = state;
                                                            if (left.decrementAndGet() == 0) {
                                                                em.complete(Arrays.asList(states));
                                                            }
                                                        },
                                                        e -> {
                                                            if (failed.compareAndSet(false, true)) {
                                                                em.fail(e);
                                                            }
                                                        })));
                            }
                            // all queued before the first read goes: 256 to a round trip
                            drain();
                        });
    }

    private void drain() {
        while (!pending.isEmpty()) {
            int now = reading.get();
            if (now >= MAX_READS) {
                return; // a read in flight drains the rest when it ends
            }
            if (!reading.compareAndSet(now, now + 1)) {
                continue;
            }
            List<Pending> batch = new ArrayList<>();
            for (Pending p; batch.size() < KEYS_PER_READ && (p = pending.poll()) != null; ) {
                batch.add(p);
            }
            if (batch.isEmpty()) {
                reading.decrementAndGet();
                continue;
            }
            read(batch.stream().map(Pending::id).toList())
                    .subscribe()
                    .with(
                            states -> {
                                reading.decrementAndGet();
                                for (int i = 0; i < batch.size(); i++) {
                                    batch.get(i).answer().state().accept(states.get(i));
                                }
                                drain();
                            },
                            e -> {
                                reading.decrementAndGet();
                                Throwable failure = unavailable(e);
                                batch.forEach(p -> p.answer().failure().accept(failure));
                                drain();
                            });
        }
    }

    private Uni<List<JobState>> read(List<String> ids) {
        List<String> args = new ArrayList<>(ids.size() + 2);
        args.add(READ_ALL);
        args.add(Integer.toString(ids.size()));
        ids.forEach(id -> args.add(RedisKeys.job(id)));
        return RedisScripts.eval(redis, args.toArray(String[]::new))
                .map(
                        reply -> {
                            List<JobState> out = new ArrayList<>(ids.size());
                            int i = 0;
                            for (Response hash : reply) {
                                out.add(JobFields.toState(ids.get(i++), fields(hash)));
                            }
                            return out;
                        })
                .onFailure()
                .transform(JobStore::unavailable);
    }

    public Uni<TransitionOutcome> apply(JobTransition t) {
        return RedisScripts.eval(redis, t.evalArgs())
                .map(t::outcome)
                .onFailure()
                .transform(JobStore::unavailable);
    }

    /**
     * Redis failures become a 503 with Retry-After: the job (if accepted) is safe in Kafka, only
     * reading it waits.
     */
    private static Throwable unavailable(Throwable e) {
        return e instanceof ApiException ? e : StoreException.unavailable(e.toString());
    }
}
