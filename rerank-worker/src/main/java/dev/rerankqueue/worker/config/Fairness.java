package dev.rerankqueue.worker.config;

import io.smallrye.config.WithDefault;
import java.util.Map;

/**
 * How a worker shares its scorer between tenants ({@code rerank.worker.fairness.*}): inside each
 * lane, scorer calls waiting for a slot are served by weighted deficit round robin over the tenants
 * that have calls waiting, counted in model tokens, and within a tenant by earliest deadline.
 */
public interface Fairness {

    /**
     * Model tokens a tenant of weight 1 is credited per turn. Smaller is fairer: with a quantum
     * larger than a tenant's calls it sends several of them in one turn while the next tenant
     * waits. Default 256.
     */
    @WithDefault("256")
    long quantumTokens();

    /**
     * Weight of a tenant by name ({@code rerank.worker.fairness.weights."team-a"=4}): while both
     * have calls waiting, a tenant of weight 4 sends four times the tokens of a tenant of weight 1.
     * The weights are per worker: with several workers a tenant's share of the whole pool is its
     * share on each worker its jobs reach. Tenants not named have {@link #defaultWeight()}.
     */
    Map<String, Integer> weights();

    /** Weight of every tenant not named in {@link #weights()}. Default 1. */
    @WithDefault("1")
    int defaultWeight();
}
