package dev.rerankqueue.gateway.webhook;

/**
 * The Lua scripts that keep webhook deliveries in Redis: each tenant's outbox (a sorted set of
 * deliveries by due time) and an index of the tenants by their earliest due delivery, kept together
 * by every script that writes an outbox. A gateway claims due deliveries for a lease, one from each
 * tenant in turn, and settles each once its attempt ends.
 */
final class WebhookScripts {

    private WebhookScripts() {}

    /**
     * Keeps the tenants' index (KEYS given as {@code index}) in step with one outbox: the tenant
     * scored by its earliest due delivery, or gone with its last. The outbox of older releases (not
     * under {@code prefix}) has no entry.
     */
    private static final String REINDEX =
            """
            local function reindex(outbox, index, prefix)
              if string.sub(outbox, 1, #prefix) ~= prefix then return end
              local tenant = string.sub(outbox, #prefix + 1)
              local first = redis.call('ZRANGE', outbox, 0, 0, 'WITHSCORES')
              if #first == 0 then redis.call('ZREM', index, tenant)
              else redis.call('ZADD', index, tonumber(first[2]), tenant) end
            end
            """;

    /**
     * Takes up to ARGV[2] deliveries due by ARGV[1], one from each tenant whose outbox has one due
     * (KEYS[1] the index, outboxes under prefix ARGV[4]; KEYS[2] the outbox of older releases, as
     * one more) in turn until none is left or enough are taken, and leases them until ARGV[3].
     * Replies with each delivery's id and its outbox, in pairs.
     */
    static final String CLAIM_IN_TURN =
            REINDEX
                    + """
            local now, n, lease, prefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
            local outboxes = {}
            for _, t in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 256)) do
              outboxes[#outboxes + 1] = prefix .. t
            end
            outboxes[#outboxes + 1] = KEYS[2]
            local out, taken, more = {}, 0, true
            while taken < n and more do
              more = false
              for _, box in ipairs(outboxes) do
                if taken >= n then break end
                local due = redis.call('ZRANGEBYSCORE', box, '-inf', now, 'LIMIT', 0, 1)
                if #due > 0 then
                  redis.call('ZADD', box, lease, due[1])
                  out[#out + 1] = due[1]
                  out[#out + 1] = box
                  taken = taken + 1
                  more = true
                end
              end
            end
            for _, box in ipairs(outboxes) do reindex(box, KEYS[1], prefix) end
            return out
            """;

    /** Takes up to ARGV[2] entries of KEYS[1] due by ARGV[1] and leases them until ARGV[3]. */
    static final String LEASE_DUE =
            """
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), id) end
            return due
            """;

    /**
     * Records an attempt on the job or batch (KEYS[2], never recreating an expired one) and
     * requeues delivery ARGV[1] in its outbox KEYS[1] at ARGV[3] when ARGV[2] is {@code retry},
     * else removes it; KEYS[3] is the tenants' index, ARGV[6] the outboxes' prefix.
     */
    static final String SETTLE =
            REINDEX
                    + """
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
            reindex(KEYS[1], KEYS[3], ARGV[6])
            return 1
            """;

    /**
     * Makes delivery ARGV[1] of outbox KEYS[1] due again at ARGV[2], no attempt counted (its tenant
     * is at its share of senders); KEYS[2] is the tenants' index, ARGV[3] the outboxes' prefix.
     */
    static final String DEFER =
            REINDEX
                    + """
            redis.call('ZADD', KEYS[1], tonumber(ARGV[2]), ARGV[1])
            reindex(KEYS[1], KEYS[2], ARGV[3])
            return 1
            """;

    /**
     * A watched batch (ARGV[1]) has ended: no longer watched (KEYS[1]), and its delivery (ARGV[2],
     * none when the batch is gone) due at ARGV[3] in its tenant's outbox ARGV[4]; KEYS[2] is the
     * tenants' index, ARGV[5] the outboxes' prefix.
     */
    static final String BATCH_ENDED =
            REINDEX
                    + """
            redis.call('ZREM', KEYS[1], ARGV[1])
            if ARGV[2] ~= '' then
              redis.call('ZADD', ARGV[4], 'NX', tonumber(ARGV[3]), ARGV[2])
              reindex(ARGV[4], KEYS[2], ARGV[5])
            end
            return 1
            """;
}
