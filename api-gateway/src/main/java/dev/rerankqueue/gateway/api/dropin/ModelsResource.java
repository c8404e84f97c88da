package dev.rerankqueue.gateway.api.dropin;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.gateway.admission.ServedModels;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Comparator;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code GET /v1/models} as OpenAI and vLLM clients expect it: the models the workers serve, each
 * with its pool and whether a worker of it is live now ({@code state}: {@code ready}, or {@code
 * no_workers} for a pool stopped or scaled to zero), the models with a live worker first.
 */
@Path("/v1/models")
@Tag(
        name = "sync",
        description = "Synchronous drop-in rerank endpoints (Cohere, Jina, vLLM, TEI shapes)")
public class ModelsResource {

    public record Model(
            String id,
            String object,
            long created,
            @JsonProperty("owned_by") String ownedBy,
            String pool,
            String state) {}

    public record ModelList(String object, List<Model> data) {}

    private final ServedModels served;

    public ModelsResource(ServedModels served) {
        this.served = served;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "List served models",
            description =
                    "Every model a worker has announced, with its pool and state: ready (a worker"
                            + " announced it in the last 30 s) or no_workers; ready ones first.")
    public Uni<ModelList> list() {
        return served.all()
                .map(
                        models ->
                                new ModelList(
                                        "list",
                                        models.values().stream()
                                                .sorted(
                                                        Comparator.comparing(
                                                                        (ServedModels.Served m) ->
                                                                                !m.live())
                                                                .thenComparing(
                                                                        ServedModels.Served::model))
                                                .map(ModelsResource::model)
                                                .toList()));
    }

    private static Model model(ServedModels.Served m) {
        return new Model(
                m.model(),
                "model",
                m.announcedAt() / 1000,
                "rerank-queue",
                m.pool().name(),
                m.live() ? "ready" : "no_workers");
    }
}
