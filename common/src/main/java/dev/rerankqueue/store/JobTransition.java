package dev.rerankqueue.store;

import dev.rerankqueue.job.JobStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One compare-and-set write of a job's state, run atomically in Redis by {@link #SCRIPT}.
 *
 * <p>The write applies only if the stored status may move to the target under the {@link JobStatus}
 * table and, when given, the stored version equals the expected one; it then bumps the version,
 * refreshes the TTL, publishes a {@link JobEvent} and returns the whole state it wrote. A write
 * that loses reports what is stored instead, so a slow or duplicate writer never overwrites a newer
 * state. A write that makes the job terminal also removes it from its tenant's {@link
 * RedisKeys#inFlight in-flight set} (its pairs off the tenant's counters, {@link
 * RedisKeys#inFlightPoolPairs} for its pool) and, when the job names a webhook, queues its delivery
 * in its tenant's outbox ({@link RedisKeys#WEBHOOKS_DUE_OF_PREFIX}, written with the state, so no
 * terminal state is ever missed). Run it as {@code EVAL SCRIPT 1 key args...} with {@link #key()}
 * and {@link #args()}, or many at once with {@link #calls}, and decode the reply with {@link
 * #outcome}.
 */
public final class JobTransition {

    /**
     * Pseudo-status meaning "no hash yet": allowed as a source only for writes that create the job.
     */
    static final String ABSENT = "absent";

    /**
     * A Lua function, {@code leaveInFlight(set, id, pairs)}: takes job {@code id} off a tenant's
     * {@link RedisKeys#inFlight in-flight set} and, when it was there, its {@code pairs} off the
     * tenant's counters of every model and of the job's pool; without {@code pairs}, those the
     * gateway took for the job when it entered the set ({@link RedisKeys#inFlightPools} holds
     * "{@code <pairs> <pool>}" for each job). The one definition of leaving the set, for this
     * script and the gateway's quota scripts.
     */
    public static final String LEAVE_IN_FLIGHT =
            """
            local function leaveInFlight(set, id, pairs)
              if redis.call('ZREM', set, id) == 1 then
                local entry = redis.call('HGET', set .. '%2$s', id)
                pairs = pairs or tonumber(entry and string.match(entry, '^(%%d+) ') or '0')
                redis.call('DECRBY', set .. '%1$s', pairs)
                if entry then
                  redis.call('HDEL', set .. '%2$s', id)
                  local pool = string.match(entry, '^%%d+ (.+)$') or entry
                  redis.call('HINCRBY', set .. '%3$s', pool, -pairs)
                end
              end
            end
            """
                    .formatted(
                            RedisKeys.IN_FLIGHT_PAIRS,
                            RedisKeys.IN_FLIGHT_POOLS,
                            RedisKeys.IN_FLIGHT_POOL_PAIRS);

    /**
     * One write as a Lua function of the job's key and its argument table; the reply leaves out the
     * fields the write set itself (the caller has them: {@link #outcome}), so a result is not sent
     * back to the worker that just wrote it.
     */
    private static final String TRANSITION =
            LEAVE_IN_FLIGHT
                    + """
            local function transition(key, a)
              local target, sources, expected = a[1], a[2], a[3]
              local ttl, channel, id = tonumber(a[4]), a[5], a[6]
              local ncreate, inflight, index, webhooks, hooked = tonumber(a[7]), a[8], a[9], a[10], a[11]
              local cur = redis.call('HMGET', key, 'status', 'version')
              local status, version = cur[1], tonumber(cur[2] or '0')
              local present = status ~= false and status ~= nil
              local allowed = false
              local probe = present and status or 'absent'
              for s in string.gmatch(sources, '[^,]+') do
                if s == probe then allowed = true end
              end
              if not allowed then return {'0', tostring(version), present and status or ''} end
              if present and string.sub(expected, 1, 1) == '<' then
                -- a restore: replaces a state older than the one restored (its hash rebuilt whole)
                if version >= tonumber(string.sub(expected, 2)) then return {'0', tostring(version), status} end
                redis.call('DEL', key)
                present = false
              elseif present and expected ~= '' and tonumber(expected) ~= version then
                return {'0', tostring(version), status or ''}
              end
              local first = 12
              if not present then
                for i = first, first + 2 * ncreate - 1, 2 do redis.call('HSET', key, a[i], a[i + 1]) end
                version = tonumber(redis.call('HGET', key, 'version') or '0')
                local owner, created = redis.call('HGET', key, 'tenant'), redis.call('HGET', key, 'created_at')
                if owner and created then
                  redis.call('ZADD', index .. owner, tonumber(created), id)
                  if ttl > 0 and redis.call('TTL', index .. owner) < ttl then redis.call('EXPIRE', index .. owner, ttl) end
                  -- each new entry looks at three others and drops those whose state is gone, so the
                  -- index holds at most about half again as many jobs as are stored
                  local prefix = string.sub(key, 1, #key - #id)
                  for _, other in ipairs(redis.call('ZRANDMEMBER', index .. owner, 3)) do
                    if redis.call('EXISTS', prefix .. other) == 0 then redis.call('ZREM', index .. owner, other) end
                  end
                end
              end
              local told = {}
              for i = first + 2 * ncreate, #a, 2 do
                redis.call('HSET', key, a[i], a[i + 1])
                told[a[i]] = true
              end
              version = version + 1
              redis.call('HSET', key, 'status', target, 'version', version)
              if target == 'running' then redis.call('HINCRBY', key, 'attempts', 1) end
              if ttl > 0 then redis.call('EXPIRE', key, ttl) end
              if inflight ~= '' then
                local tenant = redis.call('HGET', key, 'tenant')
                if tenant then
                  leaveInFlight(inflight .. tenant, id, tonumber(redis.call('HGET', key, 'pairs') or '0'))
                end
              end
              if webhooks ~= '' and redis.call('HEXISTS', key, 'webhook') == 1 then
                -- into the tenant's own outbox, and the tenants' index keeps its earliest due time
                local now = redis.call('TIME')
                local owner = redis.call('HGET', key, 'tenant') or ''
                redis.call('ZADD', webhooks .. owner, 'NX', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000), id)
                local earliest = redis.call('ZRANGE', webhooks .. owner, 0, 0, 'WITHSCORES')
                redis.call('ZADD', hooked, tonumber(earliest[2]), owner)
              end
              redis.call('PUBLISH', channel, cjson.encode({id = id, status = target, version = version}))
              local reply = {'1', tostring(version), target}
              local all = redis.call('HGETALL', key)
              for i = 1, #all, 2 do
                if not told[all[i]] then
                  reply[#reply + 1] = all[i]
                  reply[#reply + 1] = all[i + 1]
                end
              end
              return reply
            end
            """;

    /** Runs one write: {@code EVAL SCRIPT 1 key args...}. */
    public static final String SCRIPT = TRANSITION + "return transition(KEYS[1], ARGV)\n";

    /**
     * Runs many writes in one call, each applied or lost on its own exactly as by {@link #SCRIPT}:
     * {@code EVAL BATCH_SCRIPT n key1..keyn count1 args1... countn argsn...}; replies with one
     * reply of {@link #SCRIPT} per write, in order.
     */
    public static final String BATCH_SCRIPT =
            TRANSITION
                    + """
                    local replies, at = {}, 1
                    for k = 1, #KEYS do
                      local n = tonumber(ARGV[at])
                      replies[k] = transition(KEYS[k], {unpack(ARGV, at + 1, at + n)})
                      at = at + n + 1
                    end
                    return replies
                    """;

    private final String jobId;
    private final JobStatus target;
    private final Map<String, String> createFields = new LinkedHashMap<>();
    private final Map<String, String> setFields = new LinkedHashMap<>();
    private Long expectedVersion;
    private boolean createOnly;

    /** A restore's version: it replaces a state that is not terminal and older than this. */
    private Long restoredVersion;

    /** The statuses the write may move the job from; {@code null}: all the table allows. */
    private Set<JobStatus> from;

    private Duration ttl = Duration.ZERO;

    private JobTransition(String jobId, JobStatus target) {
        this.jobId = jobId;
        this.target = target;
    }

    /** A write moving job {@code jobId} to {@code target}. */
    public static JobTransition to(String jobId, JobStatus target) {
        return new JobTransition(jobId, target);
    }

    /**
     * A write that creates job {@code jobId} in status {@code initial} and does nothing if it
     * exists already.
     */
    public static JobTransition create(
            String jobId, JobStatus initial, Map<String, String> fields) {
        JobTransition t = new JobTransition(jobId, initial).orCreateWith(fields);
        t.createOnly = true;
        return t;
    }

    /**
     * A write that puts back a terminal state as recorded elsewhere (the results topic), {@code
     * version} being the version it had: it creates the job, or replaces whole a state that is not
     * terminal and older than it (Redis came back without the writes that followed that one); it
     * does nothing over a terminal state or a newer one. {@code fields} set the state's version to
     * one less than {@code version}, which the write then bumps.
     */
    public static JobTransition restore(
            String jobId, JobStatus status, Map<String, String> fields, long version) {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException("only a terminal state is restored: " + status);
        }
        JobTransition t = new JobTransition(jobId, status).orCreateWith(fields);
        t.restoredVersion = version;
        return t;
    }

    /**
     * Apply only if the stored version is exactly this (a write allowed to create the job applies
     * when it is absent).
     */
    public JobTransition expectVersion(long version) {
        this.expectedVersion = version;
        return this;
    }

    /**
     * Apply only from these statuses (of those the {@link JobStatus} table allows for the target),
     * or when the job is absent and the write may create it.
     */
    public JobTransition onlyFrom(JobStatus first, JobStatus... more) {
        this.from = EnumSet.of(first, more);
        return this;
    }

    /** Also allow the write when the job has no hash yet, writing these fields first. */
    public JobTransition orCreateWith(Map<String, String> fields) {
        createFields.putAll(fields);
        if (createFields.isEmpty()) {
            createFields.put(JobFields.STATUS, target.wireName());
        }
        return this;
    }

    public JobTransition set(String field, Object value) {
        if (value != null) {
            setFields.put(field, String.valueOf(value));
        }
        return this;
    }

    /** Time to live of the whole hash after this write; zero keeps none. */
    public JobTransition retainFor(Duration retention) {
        this.ttl = retention;
        return this;
    }

    public String jobId() {
        return jobId;
    }

    public JobStatus target() {
        return target;
    }

    public String key() {
        return RedisKeys.job(jobId);
    }

    /** The whole argument list of {@code EVAL}: script, key count, key, then {@link #args()}. */
    public String[] evalArgs() {
        List<String> a = args();
        List<String> all = new ArrayList<>(a.size() + 3);
        all.add(SCRIPT);
        all.add("1");
        all.add(key());
        all.addAll(a);
        return all.toArray(String[]::new);
    }

    /**
     * Writes sent to Redis together in one call of {@link #BATCH_SCRIPT}.
     *
     * @param writes the writes, in the order of the call's replies
     * @param evalArgs the whole argument list of {@code EVAL}
     */
    public record Call(List<JobTransition> writes, String[] evalArgs) {

        /** Each write's outcome, in order, from the call's reply. */
        public List<TransitionOutcome> outcomes(Iterable<?> reply) {
            List<TransitionOutcome> out = new ArrayList<>(writes.size());
            int i = 0;
            for (Object r : reply) {
                out.add(writes.get(i++).outcome((Iterable<?>) r));
            }
            return out;
        }
    }

    /**
     * {@code writes} as calls of {@link #BATCH_SCRIPT}, in order, each carrying at most {@code
     * maxChars} characters of arguments (a write larger than that goes alone): a batch of large
     * results never holds Redis, which runs a script to its end before serving anyone else, for
     * long.
     */
    public static List<Call> calls(List<JobTransition> writes, int maxChars) {
        List<Call> calls = new ArrayList<>();
        List<JobTransition> group = new ArrayList<>();
        List<List<String>> groupArgs = new ArrayList<>();
        long chars = 0;
        for (JobTransition w : writes) {
            List<String> a = w.args();
            long size = 0;
            for (String arg : a) {
                size += arg.length();
            }
            if (!group.isEmpty() && chars + size > maxChars) {
                calls.add(call(group, groupArgs));
                group = new ArrayList<>();
                groupArgs = new ArrayList<>();
                chars = 0;
            }
            group.add(w);
            groupArgs.add(a);
            chars += size;
        }
        if (!group.isEmpty()) {
            calls.add(call(group, groupArgs));
        }
        return calls;
    }

    private static Call call(List<JobTransition> writes, List<List<String>> args) {
        List<String> all = new ArrayList<>();
        all.add(BATCH_SCRIPT);
        all.add(Integer.toString(writes.size()));
        writes.forEach(w -> all.add(w.key()));
        for (List<String> a : args) {
            all.add(Integer.toString(a.size()));
            all.addAll(a);
        }
        return new Call(List.copyOf(writes), all.toArray(String[]::new));
    }

    /**
     * Decodes this write's reply (any client's list of replies): when it applied, the state it left
     * is the reply's fields plus the ones this write set.
     */
    public TransitionOutcome outcome(Iterable<?> reply) {
        TransitionOutcome o = TransitionOutcome.fromReply(reply);
        return o.applied() ? o.withFields(setFields) : o;
    }

    public List<String> args() {
        String sources =
                createOnly
                        ? ""
                        : restoredVersion != null
                                ? Arrays.stream(JobStatus.values())
                                        .filter(s -> !s.isTerminal())
                                        .map(JobStatus::wireName)
                                        .collect(Collectors.joining(","))
                                : target.sources().stream()
                                        .filter(s -> from == null || from.contains(s))
                                        .map(JobStatus::wireName)
                                        .collect(Collectors.joining(","));
        if (!createFields.isEmpty()) {
            sources = sources.isEmpty() ? ABSENT : sources + "," + ABSENT;
        }
        List<String> args = new ArrayList<>();
        args.add(target.wireName());
        args.add(sources);
        args.add(
                restoredVersion != null
                        ? "<" + restoredVersion
                        : expectedVersion == null ? "" : Long.toString(expectedVersion));
        args.add(Long.toString(ttl.toSeconds()));
        args.add(RedisKeys.JOB_EVENTS_CHANNEL);
        args.add(jobId);
        args.add(Integer.toString(createFields.size()));
        args.add(target.isTerminal() ? RedisKeys.IN_FLIGHT_PREFIX : "");
        args.add(RedisKeys.TENANT_JOBS_PREFIX);
        args.add(target.isTerminal() ? RedisKeys.WEBHOOKS_DUE_OF_PREFIX : "");
        args.add(RedisKeys.WEBHOOK_TENANTS);
        createFields.forEach(
                (k, v) -> {
                    args.add(k);
                    args.add(v);
                });
        setFields.forEach(
                (k, v) -> {
                    args.add(k);
                    args.add(v);
                });
        return args;
    }
}
