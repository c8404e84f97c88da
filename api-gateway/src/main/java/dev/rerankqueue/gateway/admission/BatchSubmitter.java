package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.store.BatchStore;
import dev.rerankqueue.gateway.webhook.WebhookTargets;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RequestValidator;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.job.Violation;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Bulk submission: every job is validated before any is sent (one bad job rejects the whole
 * request, naming it), then each goes through {@link JobSubmitter} like a single submit, so
 * durability, admission control and quotas apply per job. Bulk jobs default to the {@code batch}
 * priority lane.
 *
 * <p>With an {@code Idempotency-Key}, job {@code i} is submitted under the key {@code <key>#<i>}
 * and the batch id is derived from the key, so retrying a batch that was partly refused (a 503 or
 * 429 on some jobs) re-submits only what is missing and returns the same ids.
 */
@ApplicationScoped
public class BatchSubmitter {

    /** Jobs of one batch submitted at once. */
    static final int SUBMIT_CONCURRENCY = 16;

    /**
     * What happened to job {@code index} of the request: accepted (its id) or refused (the
     * problem).
     */
    public record Outcome(int index, AcceptedJob accepted, ApiException refused) {}

    /**
     * @param outcomes one per job, in request order
     */
    public record AcceptedBatch(String id, long createdAt, List<Outcome> outcomes) {

        public long acceptedCount() {
            return outcomes.stream().filter(o -> o.accepted() != null).count();
        }
    }

    private final JobSubmitter submitter;
    private final BatchStore batches;
    private final GatewayConfig config;
    private final RequestValidator validator;
    private final WebhookTargets webhooks;

    public BatchSubmitter(
            JobSubmitter submitter,
            BatchStore batches,
            GatewayConfig config,
            WebhookTargets webhooks) {
        this.submitter = submitter;
        this.webhooks = webhooks;
        this.batches = batches;
        this.config = config;
        this.validator = new RequestValidator(config.limits().toRequestLimits());
    }

    /**
     * Validates all {@code requests}; throws one {@link InvalidRequestException} naming every bad
     * job's field as {@code jobs[i].field}.
     */
    public List<RerankRequest> validate(String tenant, List<RerankRequest> requests) {
        if (requests.isEmpty()) {
            throw new InvalidRequestException("jobs", "must hold at least one job");
        }
        if (requests.size() > config.limits().maxBatchJobs()) {
            throw new InvalidRequestException(
                    "jobs",
                    "holds "
                            + requests.size()
                            + " jobs; the limit is "
                            + config.limits().maxBatchJobs()
                            + " (rerank.limits.max-batch-jobs)");
        }
        long documents =
                requests.stream()
                        .mapToLong(r -> r.documents() == null ? 0 : r.documents().size())
                        .sum();
        if (documents > config.limits().maxBatchDocuments()) {
            throw new InvalidRequestException(
                    "jobs",
                    "hold "
                            + documents
                            + " documents in all; the limit is "
                            + config.limits().maxBatchDocuments()
                            + " (rerank.limits.max-batch-documents)");
        }
        List<Violation> all = new ArrayList<>();
        List<RerankRequest> valid = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            try {
                valid.add(validateOne(tenant, requests.get(i)));
            } catch (InvalidRequestException e) {
                for (Violation v : e.violations()) {
                    all.add(new Violation("jobs[" + i + "]." + v.field(), v.message()));
                }
            }
        }
        if (!all.isEmpty()) {
            throw new InvalidRequestException(all);
        }
        return valid;
    }

    /** One job of a bulk submission, in the batch lane unless it says otherwise, validated. */
    public RerankRequest validateOne(String tenant, RerankRequest request) {
        RerankRequest r = request.withDefaultPriority(Priority.BATCH);
        webhooks.check(r.webhook(), tenant);
        return validator.check(r);
    }

    /**
     * The id of a new batch: derived from the tenant's {@code Idempotency-Key} (so a retry names
     * the same batch), or random without one.
     */
    public static String batchId(String tenant, String idempotencyKey) {
        if (idempotencyKey == null) {
            return UUID.randomUUID().toString();
        }
        if (IdempotencyKeys.check(idempotencyKey).length() > 250) {
            throw new InvalidRequestException(
                    "Idempotency-Key", "of a batch must be at most 250 characters");
        }
        return UUID.nameUUIDFromBytes(
                        (tenant + "\n" + idempotencyKey).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    /** Job {@code index}'s own idempotency key within a batch submitted under {@code key}. */
    public static String jobKey(String key, long index) {
        if (key == null) {
            return null;
        }
        String own = key + "#" + index;
        // a key near the 255-character limit would overflow it with the suffix: its digest stands
        // in for it
        return own.length() <= 255 ? own : "sha256:" + IdempotencyKeys.sha256(key) + "#" + index;
    }

    /** Records a batch of the jobs that were accepted, kept as long as job results. */
    public Uni<Void> record(
            String batchId, String tenant, long createdAt, List<String> jobIds, Own own) {
        return batches.save(
                new BatchStore.Batch(
                        batchId, tenant, createdAt, jobIds, own.metadata(), own.webhook()),
                config.results().retention());
    }

    /**
     * What a batch itself says, apart from its jobs.
     *
     * @param metadata the client's labels of the whole batch
     * @param webhook where the batch's end is announced, once every job of it has ended
     */
    public record Own(Map<String, String> metadata, String webhook) {}

    /** Throws a 422 when a batch's own {@code metadata} or {@code webhook} may not be used. */
    public Own check(String tenant, Own own) {
        List<Violation> wrong = validator.metadataViolations(own.metadata());
        if (!wrong.isEmpty()) {
            throw new InvalidRequestException(wrong);
        }
        webhooks.check(own.webhook(), tenant);
        return own;
    }

    /**
     * Submits every (already validated) job; the batch is recorded with the jobs that were
     * accepted.
     */
    public Uni<AcceptedBatch> submit(
            String tenant, List<RerankRequest> requests, Own own, String idempotencyKey) {
        String batchId = batchId(tenant, idempotencyKey);
        long now = System.currentTimeMillis();
        List<Uni<Outcome>> submits = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            int index = i;
            String key = jobKey(idempotencyKey, i);
            submits.add(
                    Uni.createFrom()
                            .deferred(
                                    () ->
                                            submitter.submit(
                                                    tenant,
                                                    requests.get(index),
                                                    Endpoint.BATCH,
                                                    key))
                            .map(a -> new Outcome(index, a, null))
                            .onFailure(ApiException.class)
                            .recoverWithItem(e -> new Outcome(index, null, (ApiException) e)));
        }
        // a few at a time: a 1,000-job batch must not take every Redis connection and submission
        // slot of the gateway
        return Multi.createFrom()
                .iterable(submits)
                .onItem()
                .transformToUni(u -> u)
                .merge(SUBMIT_CONCURRENCY)
                .collect()
                .asList()
                .map(list -> list.stream().sorted(Comparator.comparingInt(Outcome::index)).toList())
                .chain(
                        outcomes -> {
                            List<String> ids =
                                    outcomes.stream()
                                            .filter(o -> o.accepted() != null)
                                            .map(o -> o.accepted().id())
                                            .toList();
                            AcceptedBatch batch = new AcceptedBatch(batchId, now, outcomes);
                            if (ids.isEmpty()) {
                                return Uni.createFrom().item(batch);
                            }
                            return record(batchId, tenant, now, ids, own).replaceWith(batch);
                        });
    }
}
