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
 * {@code GET /v1/models} as OpenAI and vLLM clients expect it: the models the running workers
 * serve.
 */
@Path("/v1/models")
@Tag(
        name = "sync",
        description = "Synchronous drop-in rerank endpoints (Cohere, Jina, vLLM, TEI shapes)")
public class ModelsResource {

    public record Model(
            String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {}

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
                    "Models announced by workers in the last 30 s; empty while no worker runs.")
    public Uni<ModelList> list() {
        return served.fresh()
                .map(
                        models ->
                                new ModelList(
                                        "list",
                                        models.entrySet().stream()
                                                .map(
                                                        e ->
                                                                new Model(
                                                                        e.getKey(),
                                                                        "model",
                                                                        e.getValue() / 1000,
                                                                        "rerank-queue"))
                                                .sorted(Comparator.comparing(Model::id))
                                                .toList()));
    }
}
