package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.job.JobCost;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.ModelPool;
import java.time.Duration;

/**
 * The 429 for each way the quota script ({@link QuotaScripts#ACQUIRE}) refuses a job: which quota,
 * the figures it was checked against, the config key that sets it and when to retry.
 */
final class QuotaRefusal {

    private QuotaRefusal() {}

    /**
     * What a job was checked against.
     *
     * @param maxPairs the pairs its tenant may hold in flight, of every model (the configured
     *     quota)
     * @param sharePairs the pairs its tenant may hold in flight in the job's pool: its share of
     *     that pool's backlog
     * @param backlogShare the share that set {@code sharePairs}
     * @param pool the job's model pool
     */
    record Checked(
            int maxInFlight,
            long maxPairs,
            long sharePairs,
            double backlogShare,
            ModelPool pool,
            double rate,
            double tokenRate,
            long storedLimit,
            long storedCost,
            Duration inFlightRetryAfter) {}

    /**
     * The refusal for the script's answer {@code which} with its figure {@code value} (what the
     * tenant holds, or the wait in milliseconds of a rate).
     */
    static RefusedException of(String which, String value, RerankJob job, Checked c, long now) {
        String tenant = "tenant " + job.tenant();
        return switch (which) {
            case "in-flight-pairs" ->
                    RefusedException.quotaExceeded(
                            "rerank.quotas.max-in-flight-pairs",
                            held(tenant, value, "", job) + c.maxPairs(),
                            c.inFlightRetryAfter());
            case "backlog-share" ->
                    RefusedException.quotaExceeded(
                            "rerank.quotas.max-backlog-share",
                            held(tenant, value, " of model pool " + c.pool(), job)
                                    + c.sharePairs()
                                    + ", its share ("
                                    + c.backlogShare()
                                    + ") of the pairs that pool's workers drain within"
                                    + " rerank.admission.max-backlog, so that other"
                                    + " tenants' jobs still fit the backlog",
                            c.inFlightRetryAfter());
            case "stored" ->
                    RefusedException.quotaExceeded(
                            "rerank.quotas.max-stored-share",
                            tenant
                                    + " holds about "
                                    + value
                                    + " bytes of stored jobs and this job would add about "
                                    + c.storedCost()
                                    + "; its share of Redis is "
                                    + c.storedLimit()
                                    + " bytes. Stored jobs free it as they expire"
                                    + " (rerank.results.retention, or the job's own)",
                            Duration.ofMillis(
                                    Math.max(
                                            1000,
                                            TenantQuotas.HOUR_MS - now % TenantQuotas.HOUR_MS)));
            case "in-flight" ->
                    RefusedException.quotaExceeded(
                            "rerank.quotas.max-in-flight-jobs",
                            tenant
                                    + " has "
                                    + value
                                    + " jobs queued or running; the limit is "
                                    + c.maxInFlight(),
                            c.inFlightRetryAfter());
            case "tokens" ->
                    RefusedException.quotaExceeded(
                            "rerank.quotas.tokens-per-second",
                            tenant
                                    + " may submit "
                                    + formatRate(c.tokenRate())
                                    + " model tokens per second and this job is charged "
                                    + job.cost().tokens()
                                    + " (an upper bound: each byte of text a token, plus "
                                    + JobCost.PROMPT_TOKENS
                                    + " per pair for the prompt; see usage.charged_tokens)",
                            Duration.ofMillis(Long.parseLong(value)));
            default ->
                    RefusedException.quotaExceeded(
                            "rerank.quotas.pairs-per-second",
                            tenant
                                    + " may submit "
                                    + formatRate(c.rate())
                                    + " pairs per second and this job has "
                                    + job.pairCount()
                                    + " (one per document, one per chunk of a chunked one)",
                            Duration.ofMillis(Long.parseLong(value)));
        };
    }

    private static String held(String tenant, String pairs, String where, RerankJob job) {
        return tenant
                + " has "
                + pairs
                + " pairs in jobs"
                + where
                + " queued or running and this job has "
                + job.pairCount()
                + "; the limit is ";
    }

    private static String formatRate(double rate) {
        return rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
    }
}
