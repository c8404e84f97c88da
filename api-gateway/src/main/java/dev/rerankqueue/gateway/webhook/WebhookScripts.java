package dev.rerankqueue.gateway.webhook;

/**
 * The Lua scripts that keep webhook deliveries in Redis: a sorted set of due deliveries, leased by
 * the gateway that claims them, settled once an attempt ends.
 */
final class WebhookScripts {

    private WebhookScripts() {}

    /** Takes up to ARGV[2] deliveries due by ARGV[1] and leases them until ARGV[3]. */
    static final String CLAIM =
            """
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), id) end
            return due
            """;

    /**
     * Records an attempt on the job (never recreating an expired one) and requeues the delivery at
     * ARGV[3] when ARGV[2] is {@code retry}, else removes it.
     */
    static final String SETTLE =
            """
            local alive = redis.call('EXISTS', KEYS[2]) == 1
            if alive then
              redis.call('HSET', KEYS[2], 'webhook_attempts', ARGV[4], 'webhook_first_attempt_at', ARGV[5])
              if ARGV[2] ~= 'retry' then redis.call('HSET', KEYS[2], 'webhook_status', ARGV[2]) end
            end
            if alive and ARGV[2] == 'retry' then
              redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
            else
              redis.call('ZREM', KEYS[1], ARGV[1])
            end
            return 1
            """;

    /**
     * A watched batch (ARGV[1]) has ended: no longer watched, and its delivery (ARGV[2], none when
     * the batch is gone) due at ARGV[3].
     */
    static final String BATCH_ENDED =
            """
            redis.call('ZREM', KEYS[1], ARGV[1])
            if ARGV[2] ~= '' then redis.call('ZADD', KEYS[2], 'NX', tonumber(ARGV[3]), ARGV[2]) end
            return 1
            """;
}
