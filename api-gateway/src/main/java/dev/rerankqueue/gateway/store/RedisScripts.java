package dev.rerankqueue.gateway.store;

import dev.rerankqueue.store.LuaScripts;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;

/** Runs a Lua script by its SHA-1, sending its source only when Redis does not have it yet. */
public final class RedisScripts {

    private RedisScripts() {}

    /** As {@code EVAL} with these arguments (the source first), by {@code EVALSHA}. */
    public static Uni<Response> eval(ReactiveRedisDataSource redis, String... evalArgs) {
        return redis.execute("EVALSHA", LuaScripts.bySha(evalArgs))
                .onFailure(LuaScripts::notLoaded)
                .recoverWithUni(() -> redis.execute("EVAL", evalArgs));
    }
}
