package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.gateway.admission.BatchSubmitter;
import dev.rerankqueue.gateway.admission.Endpoint;
import dev.rerankqueue.gateway.admission.JobSubmitter;
import dev.rerankqueue.gateway.admission.RefusedException;
import dev.rerankqueue.gateway.auth.TenantPlaces;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.Problem;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.MalformedJsonException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A bulk submission as JSON Lines: one job per line, read as it arrives, each line validated and
 * submitted on its own, so a backfill of tens of thousands of jobs needs no client-side splitting
 * and the gateway holds only a window of lines and the accepted ids, never the body. Invalid lines
 * are reported by line number and the rest go on; an admission refusal (backlog full, a quota)
 * stops the upload at that line, for the client to resend from there with the same {@code
 * Idempotency-Key}.
 */
@ApplicationScoped
public class JsonLinesUpload {

    /** Lines submitted at once: enough to keep Kafka's acknowledgements overlapping. */
    static final int WINDOW = 32;

    /** Line errors listed in the answer (all are counted). */
    static final int MAX_LISTED_ERRORS = 100;

    /**
     * @param line 1-based line of the upload
     * @param type the problem type, as a single submit would answer it
     * @param detail what is wrong with the line
     */
    public record LineError(long line, String type, String detail) {}

    /**
     * @param accepted jobs accepted (listed by {@code GET /v1/rerank/batches/{id}/results})
     * @param invalid lines refused for their content
     * @param errors the first {@value #MAX_LISTED_ERRORS} invalid lines
     * @param stoppedAtLine the line where admission control stopped the upload, or absent
     * @param stopped why it stopped (503 backlog full, 429 quota), with its {@code Retry-After}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AcceptedUploadView(
            @JsonProperty("batch_id") String batchId,
            @JsonProperty("created_at") String createdAt,
            long accepted,
            long invalid,
            List<LineError> errors,
            @JsonProperty("stopped_at_line") Long stoppedAtLine,
            Problem stopped,
            BatchSubmissionResource.Links links) {}

    /** What an upload came to: its view, and the refusal that stopped it, if any. */
    record Outcome(AcceptedUploadView view, ApiException stop) {}

    private final BatchSubmitter batches;
    private final JobSubmitter jobs;
    private final GatewayConfig config;

    public JsonLinesUpload(BatchSubmitter batches, JobSubmitter jobs, GatewayConfig config) {
        this.batches = batches;
        this.jobs = jobs;
        this.config = config;
    }

    /** Uploads of each tenant being read on this gateway now. */
    private final TenantPlaces reading = new TenantPlaces();

    /**
     * Reads, validates and submits every line of {@code body}; blocks until all are answered. A
     * tenant already sending {@code rerank.limits.max-uploads-per-tenant} uploads to this gateway
     * gets a 429 before its body is read: each upload holds a worker thread while it lasts.
     */
    Outcome run(String tenant, InputStream body, BatchSubmitter.Own own, String idempotencyKey) {
        int max = config.limits().maxUploadsPerTenant();
        if (!reading.take(tenant, max)) {
            throw RefusedException.quotaExceeded(
                    "rerank.limits.max-uploads-per-tenant",
                    "tenant "
                            + tenant
                            + " is sending "
                            + max
                            + " JSON Lines uploads to this gateway already; send the next when one"
                            + " has ended",
                    Duration.ofSeconds(5));
        }
        try {
            return read(tenant, body, own, idempotencyKey);
        } finally {
            reading.give(tenant);
        }
    }

    private Outcome read(
            String tenant, InputStream body, BatchSubmitter.Own own, String idempotencyKey) {
        String batchId = BatchSubmitter.batchId(tenant, idempotencyKey);
        long createdAt = System.currentTimeMillis();
        Map<Long, String> ids = new ConcurrentSkipListMap<>();
        List<LineError> errors = new ArrayList<>();
        AtomicLong invalid = new AtomicLong();
        AtomicReference<ApiException> stop = new AtomicReference<>();
        AtomicLong stopLine = new AtomicLong(Long.MAX_VALUE);
        Semaphore window = new Semaphore(WINDOW);
        int windowBytes = windowBytes();
        Semaphore bytesWindow = new Semaphore(windowBytes);
        long maxJobs = config.limits().maxUploadJobs();
        UploadLines lines =
                new UploadLines(
                        body,
                        config.limits().maxBodySize().asLongValue(),
                        config.limits().uploadMinRate(),
                        config.limits().uploadMinRateWindow());
        long line = 0;
        long count = 0;
        byte[] text;
        AtomicReference<UncheckedIOException> cut = new AtomicReference<>();
        while (stop.get() == null && (text = nextOrCut(lines, cut)) != null) {
            line++;
            if (lines.overflowed()) {
                invalid.incrementAndGet();
                listError(
                        errors,
                        new LineError(
                                line,
                                "/problems/body-too-large",
                                "the line is longer than rerank.limits.max-body-size ("
                                        + config.limits().maxBodySize().asLongValue()
                                        + " bytes)"));
                continue;
            }
            if (isBlank(text)) {
                continue;
            }
            if (++count > maxJobs) {
                invalid.incrementAndGet();
                listError(
                        errors,
                        lineError(
                                line,
                                new InvalidRequestException(
                                        "line " + line,
                                        "the upload holds more than "
                                                + maxJobs
                                                + " jobs (rerank.limits.max-upload-jobs); this line"
                                                + " and the rest were not read")));
                break;
            }
            RerankRequest request;
            try {
                request =
                        batches.validateOne(
                                tenant,
                                RequestFields.toKnownRequest(
                                        JobCodec.readTree(text), config.limits()));
            } catch (InvalidRequestException | MalformedJsonException e) {
                invalid.incrementAndGet();
                listError(errors, lineError(line, e));
                continue;
            }
            int held = Math.min(text.length, windowBytes);
            window.acquireUninterruptibly();
            bytesWindow.acquireUninterruptibly(held);
            long at = line;
            jobs.submit(
                            tenant,
                            request,
                            Endpoint.BATCH,
                            BatchSubmitter.jobKey(idempotencyKey, at - 1))
                    .subscribe()
                    .with(
                            accepted -> {
                                ids.put(at, accepted.id());
                                bytesWindow.release(held);
                                window.release();
                            },
                            failure -> {
                                if (failure instanceof ApiException refusal
                                        && stopsTheUpload(refusal)) {
                                    synchronized (stopLine) {
                                        if (at < stopLine.get()) {
                                            stopLine.set(at);
                                            stop.set(refusal);
                                        }
                                    }
                                } else {
                                    invalid.incrementAndGet();
                                    listError(errors, lineError(at, failure));
                                }
                                bytesWindow.release(held);
                                window.release();
                            });
        }
        window.acquireUninterruptibly(WINDOW);
        if (cut.get() == null && lines.tooSlow() == null) {
            lines.drain();
        }
        if (lines.tooSlow() != null && stop.get() == null) {
            stop.set(lines.tooSlow());
            stopLine.set(line + 1);
        }
        List<String> accepted = new ArrayList<>(ids.values());
        if (!accepted.isEmpty()) {
            // also when the client went away mid-upload: its accepted jobs run, and the batch
            // (found again by the same Idempotency-Key) must say so
            batches.record(batchId, tenant, createdAt, accepted, own)
                    .await()
                    .atMost(Duration.ofSeconds(30));
        }
        if (cut.get() != null) {
            throw cut.get();
        }
        ApiException refusal = stop.get();
        List<LineError> listed;
        synchronized (errors) {
            listed = List.copyOf(errors);
        }
        return new Outcome(
                new AcceptedUploadView(
                        batchId,
                        Instant.ofEpochMilli(createdAt).toString(),
                        accepted.size(),
                        invalid.get(),
                        listed,
                        refusal == null ? null : stopLine.get(),
                        refusal == null ? null : refusal.problem(null),
                        BatchSubmissionResource.links(batchId)),
                refusal);
    }

    /**
     * The bytes of lines one upload has being submitted: {@code rerank.limits.upload-window}, and
     * at most three quarters of its tenant's send share divided between the uploads it may send at
     * once, so that a tenant's uploads alone never take it past its share of the producer's buffer
     * and stop at a 429 (the quarter left covers the encoding and the tenant's other jobs).
     */
    private int windowBytes() {
        long window = config.limits().uploadWindow().asLongValue();
        long share = jobs.tenantSendShare();
        if (share > 0) {
            int uploads = Math.max(1, config.limits().maxUploadsPerTenant());
            window = Math.min(window, Math.max(1, share * 3 / 4 / uploads));
        }
        return (int) Math.min(Integer.MAX_VALUE, window);
    }

    /**
     * Whether a refusal of one line stops the upload: admission's and quotas' (429, 503), which the
     * next lines would meet as well; a refusal of the line itself (a model nobody serves, a key
     * reused with another body) is that line's error, and the rest go on.
     */
    static boolean stopsTheUpload(ApiException refusal) {
        return refusal.status() == 429 || refusal.status() >= 500;
    }

    /** The next line, or {@code null} at the end or when the client cut the upload off. */
    private static byte[] nextOrCut(UploadLines lines, AtomicReference<UncheckedIOException> cut) {
        try {
            return lines.next();
        } catch (UncheckedIOException e) {
            cut.set(e);
            return null;
        }
    }

    private static void listError(List<LineError> errors, LineError e) {
        synchronized (errors) {
            if (errors.size() < MAX_LISTED_ERRORS) {
                errors.add(e);
            }
        }
    }

    /**
     * What a line's failure would have answered as a single submit: its problem type and detail.
     */
    private static LineError lineError(long line, Throwable e) {
        ApiException api = ProblemMappers.asApiException(e);
        if (api == null) {
            return new LineError(line, "/problems/internal", "not submitted: " + e);
        }
        Problem p = api.problem(null);
        return new LineError(line, p.type(), p.detail());
    }

    private static boolean isBlank(byte[] text) {
        for (byte b : text) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
