package dev.rerankqueue.store;

/**
 * How many pairs of a running job are scored so far: a write outside the versioned lifecycle, so it
 * never races the compare-and-set of the job's result. Run atomically by {@link #SCRIPT} with
 * {@link #evalArgs()}: it applies only while the job is running and only upwards, and announces the
 * new count on {@link RedisKeys#JOB_EVENTS_CHANNEL} as a {@link JobEvent} with the job's current
 * version.
 *
 * @param jobId the job
 * @param scored pairs scored so far
 */
public record JobProgress(String jobId, int scored) {

    public static final String SCRIPT =
            """
            local cur = redis.call('HMGET', KEYS[1], 'status', 'version', 'scored_pairs')
            if cur[1] ~= 'running' then return 0 end
            local scored = tonumber(ARGV[3])
            if cur[3] and tonumber(cur[3]) >= scored then return 0 end
            redis.call('HSET', KEYS[1], 'scored_pairs', scored)
            redis.call('PUBLISH', ARGV[1], cjson.encode({id = ARGV[2], status = 'running',
              version = tonumber(cur[2] or '0'), scored_pairs = scored}))
            return 1
            """;

    /** Arguments of {@code EVAL}: the script, one key, then channel, id, count. */
    public String[] evalArgs() {
        return new String[] {
            SCRIPT,
            "1",
            RedisKeys.job(jobId),
            RedisKeys.JOB_EVENTS_CHANNEL,
            jobId,
            Integer.toString(scored)
        };
    }
}
