package dev.rerankqueue.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.gateway.admission.RefusedException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Large bodies are parsed on worker threads, never on the event loop they arrived on, and one
 * tenant has a bounded number of them parsed at once.
 */
class LargeBodiesTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** What {@code handle} gave, run from an event loop as a route would call it. */
    private CompletableFuture<Object> fromEventLoop(
            LargeBodies bodies, String tenant, int size, Runnable parse) {
        CompletableFuture<Object> out = new CompletableFuture<>();
        vertx.runOnContext(
                ignored ->
                        bodies.handle(
                                        tenant,
                                        new byte[size],
                                        () -> {
                                            parse.run();
                                            return Uni.createFrom().item("parsed");
                                        })
                                .subscribe()
                                .with(out::complete, out::complete));
        return out;
    }

    /** Parses that hold their turn until {@link #release} counts down. */
    private final CountDownLatch release = new CountDownLatch(1);

    private final Runnable heldParse =
            () -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };

    @Test
    void bytesWaitingAreBoundedPerTenant() throws Exception {
        LargeBodies bodies = new LargeBodies(vertx, 1, 32, 3L * LargeBodies.OFF_LOOP_BYTES);
        CompletableFuture<Object> running =
                fromEventLoop(bodies, "acme", LargeBodies.OFF_LOOP_BYTES, heldParse);
        List<CompletableFuture<Object>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(fromEventLoop(bodies, "acme", LargeBodies.OFF_LOOP_BYTES, () -> {}));
        }
        RefusedException refused =
                assertInstanceOf(
                        RefusedException.class,
                        fromEventLoop(bodies, "acme", LargeBodies.OFF_LOOP_BYTES, () -> {})
                                .get(10, TimeUnit.SECONDS),
                        "a fourth body would hold more bytes than allowed, though 32 may wait");
        assertEquals(429, refused.status());
        assertTrue(
                refused.getMessage()
                        .contains("rerank.limits.max-large-bodies-waiting-bytes-per-tenant"),
                refused.getMessage());
        release.countDown();
        assertEquals("parsed", running.get(10, TimeUnit.SECONDS));
        for (CompletableFuture<Object> w : waiting) {
            assertEquals("parsed", w.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aWaitingBodyWhoseCallerLeftIsNeverParsedAndFreesItsPlace() throws Exception {
        LargeBodies bodies = new LargeBodies(vertx, 1, 1, 16 << 20);
        CompletableFuture<Object> running =
                fromEventLoop(bodies, "acme", LargeBodies.OFF_LOOP_BYTES, heldParse);
        AtomicBoolean goneParsed = new AtomicBoolean();
        CompletableFuture<Cancellable> gone = new CompletableFuture<>();
        vertx.runOnContext(
                ignored ->
                        gone.complete(
                                bodies.handle(
                                                "acme",
                                                new byte[LargeBodies.OFF_LOOP_BYTES],
                                                () -> {
                                                    goneParsed.set(true);
                                                    return Uni.createFrom().item("parsed");
                                                })
                                        .subscribe()
                                        .with(item -> {}, failure -> {})));
        // the route's result is cancelled when the client closes its connection
        gone.get(10, TimeUnit.SECONDS).cancel();
        CompletableFuture<Object> next =
                fromEventLoop(bodies, "acme", LargeBodies.OFF_LOOP_BYTES, () -> {});
        release.countDown();
        assertEquals("parsed", running.get(10, TimeUnit.SECONDS));
        assertEquals(
                "parsed",
                next.get(10, TimeUnit.SECONDS),
                "the place the gone caller held was given to the next body");
        assertFalse(goneParsed.get(), "the gone caller's body was never parsed");
    }

    @Test
    void aLargeBodyIsParsedOffTheEventLoopAndASmallOneWhereItArrived() throws Exception {
        LargeBodies bodies = new LargeBodies(vertx, 4, 32, 16 << 20);
        List<Boolean> onEventLoop = new ArrayList<>();
        assertEquals(
                "parsed",
                fromEventLoop(
                                bodies,
                                "acme",
                                LargeBodies.OFF_LOOP_BYTES - 1,
                                () -> onEventLoop.add(Context.isOnEventLoopThread()))
                        .get(10, TimeUnit.SECONDS));
        assertEquals(
                "parsed",
                fromEventLoop(
                                bodies,
                                "acme",
                                LargeBodies.OFF_LOOP_BYTES,
                                () -> onEventLoop.add(Context.isOnEventLoopThread()))
                        .get(10, TimeUnit.SECONDS));
        assertEquals(List.of(true, false), onEventLoop);
    }

    @Test
    void aTenantsLargeBodiesTakeTurnsAndOthersGoOn() throws Exception {
        LargeBodies bodies = new LargeBodies(vertx, 2, 1, 16 << 20);
        CountDownLatch parsing = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        Runnable slowParse =
                () -> {
                    parsing.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
        List<CompletableFuture<Object>> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            held.add(fromEventLoop(bodies, "acme", LargeBodies.OFF_LOOP_BYTES, slowParse));
        }
        assertTrue(parsing.await(10, TimeUnit.SECONDS), "two parses running");
        List<Boolean> waitedFor = new ArrayList<>();
        CompletableFuture<Object> third =
                fromEventLoop(
                        bodies,
                        "acme",
                        LargeBodies.OFF_LOOP_BYTES,
                        () -> waitedFor.add(release.getCount() == 0));
        Object fourth =
                fromEventLoop(bodies, "acme", LargeBodies.OFF_LOOP_BYTES, () -> {})
                        .get(10, TimeUnit.SECONDS);
        RefusedException refused = assertInstanceOf(RefusedException.class, fourth);
        assertEquals(429, refused.status());
        assertTrue(
                refused.getMessage().contains("rerank.limits.max-large-bodies-waiting-per-tenant"),
                refused.getMessage());
        assertEquals(
                "parsed",
                fromEventLoop(bodies, "globex", LargeBodies.OFF_LOOP_BYTES, () -> {})
                        .get(10, TimeUnit.SECONDS),
                "another tenant's large body is parsed meanwhile");
        assertEquals(
                "parsed",
                fromEventLoop(bodies, "acme", 100, () -> {}).get(10, TimeUnit.SECONDS),
                "a small body of the same tenant is not held back");
        assertFalse(third.isDone(), "the third waits its turn");
        release.countDown();
        for (CompletableFuture<Object> h : held) {
            assertEquals("parsed", h.get(10, TimeUnit.SECONDS));
        }
        assertEquals("parsed", third.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(true), waitedFor, "parsed once a turn was free");
        assertEquals(
                "parsed",
                fromEventLoop(bodies, "acme", LargeBodies.OFF_LOOP_BYTES, () -> {})
                        .get(10, TimeUnit.SECONDS),
                "the turns are given back once the parses end");
    }
}
