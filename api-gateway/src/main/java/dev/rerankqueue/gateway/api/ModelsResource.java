package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.store.RedisKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.Comparator;
import java.util.List;

/** {@code GET /v1/models} as OpenAI and vLLM clients expect it: the models the running workers serve. */
@Path("/v1/models")
@Tag(name = "sync", description = "Synchronous drop-in rerank endpoints (Cohere, Jina, vLLM, TEI shapes)")
public class ModelsResource {

    /** A worker that has not announced its model for this long is no longer counted. */
    static final long FRESH_MS = 30_000;

    public record Model(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }

    public record ModelList(String object, List<Model> data) {
    }

    private final ReactiveRedisDataSource redis;

    public ModelsResource(ReactiveRedisDataSource redis) {
        this.redis = redis;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "List served models", description = "Models announced by workers in the last 30 s; empty while no worker runs.")
    public Uni<ModelList> list() {
        long now = System.currentTimeMillis();
        return redis.hash(String.class).hgetall(RedisKeys.SERVED_MODELS)
                .onFailure().transform(e -> ApiException.storeUnavailable(e.toString()))
                .map(models -> new ModelList("list", models.entrySet().stream()
                        .filter(e -> now - parse(e.getValue()) < FRESH_MS)
                        .map(e -> new Model(e.getKey(), "model", parse(e.getValue()) / 1000, "rerank-queue"))
                        .sorted(Comparator.comparing(Model::id))
                        .toList()));
    }

    private static long parse(String millis) {
        try {
            return Long.parseLong(millis);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
