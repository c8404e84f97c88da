package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.store.JobTransition;

/**
 * The Lua scripts of {@link TenantQuotas}, each run atomically in Redis on a tenant's six keys
 * (jobs in flight, pairs bucket, pairs in flight, tokens bucket, the pool of each job in flight,
 * pairs in flight per pool) and the job's id, then its arguments.
 */
final class QuotaScripts {

    private QuotaScripts() {}

    /**
     * Checks every quota the job is subject to and takes its share of all of them, or none: replies
     * {@code ok} (with {@code overflow} when the job goes past its tenant's front) or the quota
     * that refused it with its figure ({@link QuotaRefusal}).
     */
    static final String ACQUIRE =
            JobTransition.LEAVE_IN_FLIGHT
                    + """
            local set, bucket, pairsKey, tokenBucket = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
            local poolOf, poolPairsKey = KEYS[5], KEYS[6]
            local id, now, stale = ARGV[1], tonumber(ARGV[2]), ARGV[3]
            local maxInFlight, rate, capacity, cost = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
            local maxPairs = tonumber(ARGV[8])
            local tokenRate, tokenCapacity, tokenCost = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
            -- stored bytes: one counter per hour in which jobs expire; the live ones are summed
            local storedLimit, storedCost, storedPrefix = tonumber(ARGV[12]), tonumber(ARGV[13]), ARGV[14]
            local fromHour, toHour, expiryHour = tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])
            -- of the job's pool: the tenant's share of its backlog, and the pairs the tenant may have
            -- queued and running there before its jobs go to the overflow topic
            local pool, sharePairs, frontPairs = ARGV[19], tonumber(ARGV[20]), tonumber(ARGV[18])
            if storedLimit > 0 then
              local stored = 0
              for h = fromHour, toHour do stored = stored + tonumber(redis.call('GET', storedPrefix .. h) or '0') end
              if stored > 0 and stored + storedCost > storedLimit then return {'stored', tostring(stored)} end
            end
            local tracked = maxInFlight > 0 or maxPairs > 0 or sharePairs > 0 or frontPairs > 0
            local poolPairs = 0
            if tracked then
              -- jobs in the set past the retention (their end never came, or Redis lost it): off the
              -- set with the pairs taken for them, a hundred at a time
              for _, old in ipairs(redis.call('ZRANGEBYSCORE', set, '-inf', stale, 'LIMIT', 0, 100)) do
                leaveInFlight(set, old)
              end
              local n = redis.call('ZCARD', set)
              if n == 0 then redis.call('DEL', pairsKey, poolOf, poolPairsKey) end
              if maxInFlight > 0 and n >= maxInFlight then return {'in-flight', tostring(n)} end
              local pairs = tonumber(redis.call('GET', pairsKey) or '0')
              if maxPairs > 0 and pairs > 0 and pairs + cost > maxPairs then return {'in-flight-pairs', tostring(pairs)} end
              poolPairs = tonumber(redis.call('HGET', poolPairsKey, pool) or '0')
              if sharePairs > 0 and poolPairs > 0 and poolPairs + cost > sharePairs then return {'backlog-share', tostring(poolPairs)} end
            end
            -- each bucket: what it holds now, or the wait until it holds the cost (a cost larger than
            -- the bucket passes when the bucket is full); nothing is taken unless every bucket has room
            local function level(key, r, cap, c)
              local held = cap
              local b = redis.call('HMGET', key, 'tokens', 'at')
              if b[1] then held = math.min(cap, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * r / 1000) end
              local need = math.min(c, cap)
              if held < need then return held, math.ceil((need - held) * 1000 / r) end
              return held, nil
            end
            local function take(key, r, cap, c, held)
              held = held - c
              redis.call('HSET', key, 'tokens', tostring(held), 'at', tostring(now))
              redis.call('PEXPIRE', key, math.ceil((cap - held) * 1000 / r) + 1000)
            end
            local pairsHeld, tokensHeld, wait
            if rate > 0 then
              pairsHeld, wait = level(bucket, rate, capacity, cost)
              if wait then return {'pairs', tostring(wait)} end
            end
            if tokenRate > 0 then
              tokensHeld, wait = level(tokenBucket, tokenRate, tokenCapacity, tokenCost)
              if wait then return {'tokens', tostring(wait)} end
            end
            if rate > 0 then take(bucket, rate, capacity, cost, pairsHeld) end
            if tokenRate > 0 then take(tokenBucket, tokenRate, tokenCapacity, tokenCost, tokensHeld) end
            if tracked then
              redis.call('ZADD', set, now, id)
              redis.call('INCRBY', pairsKey, cost)
              redis.call('HSET', poolOf, id, cost .. ' ' .. pool)
              redis.call('HINCRBY', poolPairsKey, pool, cost)
            end
            if storedLimit > 0 then
              local bucket = storedPrefix .. expiryHour
              redis.call('INCRBY', bucket, storedCost)
              redis.call('PEXPIREAT', bucket, (expiryHour + 1) * 3600000 + 60000)
            end
            if frontPairs > 0 and poolPairs + cost > frontPairs then return {'ok', 'overflow'} end
            return {'ok', ''}
            """;

    /** Gives back what {@link #ACQUIRE} took for a job that was not accepted after all. */
    static final String RELEASE =
            JobTransition.LEAVE_IN_FLIGHT
                    + """
            leaveInFlight(KEYS[1], ARGV[1], tonumber(ARGV[2]))
            if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HINCRBYFLOAT', KEYS[2], 'tokens', ARGV[2]) end
            if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('HINCRBYFLOAT', KEYS[4], 'tokens', ARGV[3]) end
            if ARGV[4] ~= '' and redis.call('EXISTS', ARGV[4]) == 1 then redis.call('DECRBY', ARGV[4], ARGV[5]) end
            return 1
            """;
}
