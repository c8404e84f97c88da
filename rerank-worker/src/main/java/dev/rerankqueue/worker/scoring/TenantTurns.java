package dev.rerankqueue.worker.scoring;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The scorer calls waiting in one lane, served by weighted deficit round robin over the tenants
 * that have calls waiting, in model tokens: at each turn a tenant's credit grows by the quantum
 * times its weight, and it sends calls while its credit covers their estimated tokens. A tenant
 * with ten times the work waiting gets no more tokens than one with a single call, so a quiet
 * tenant's call waits for about one call of each busy tenant, not for their backlog. Rounds in
 * which nobody could send are skipped in one step, so a small quantum costs no spinning. Within a
 * tenant the call with the earliest deadline goes first, then the oldest. Not thread-safe: the
 * {@link LaneGate} holds its lock around every use.
 */
final class TenantTurns {

    /** How the lane's turns are weighed. */
    record Shares(long quantumTokens, Map<String, Integer> weights, int defaultWeight) {

        /** Every tenant weighs the same; each turn is worth {@code quantumTokens}. */
        static Shares equal(long quantumTokens) {
            return new Shares(quantumTokens, Map.of(), 1);
        }

        long creditPerTurn(String tenant) {
            return quantumTokens * Math.max(1, weights.getOrDefault(tenant, defaultWeight));
        }
    }

    private record Waiting(long deadline, long seq, long tokens, Runnable start) {}

    private static final Comparator<Waiting> EARLIEST_DEADLINE =
            Comparator.comparingLong(Waiting::deadline).thenComparingLong(Waiting::seq);

    private static final class Tenant {
        final String name;
        final PriorityQueue<Waiting> calls = new PriorityQueue<>(EARLIEST_DEADLINE);
        long credit;
        boolean inTurn;

        Tenant(String name) {
            this.name = name;
        }
    }

    private final Shares shares;
    private final Map<String, Tenant> tenants = new HashMap<>();
    private final ArrayDeque<Tenant> ring = new ArrayDeque<>();
    private long seq;
    private int size;

    TenantTurns(Shares shares) {
        if (shares.quantumTokens() < 1) {
            throw new IllegalArgumentException(
                    "a tenant's turn must be worth at least one token: " + shares.quantumTokens());
        }
        this.shares = shares;
    }

    void add(SlotRequest request, Runnable start) {
        Tenant t = tenants.get(request.tenant());
        if (t == null) {
            t = new Tenant(request.tenant());
            tenants.put(t.name, t);
            ring.addLast(t);
        }
        t.calls.add(new Waiting(request.deadline(), seq++, Math.max(1, request.tokens()), start));
        size++;
    }

    /** The next call to start, or {@code null} when none waits. */
    Runnable poll() {
        if (size == 0) {
            return null;
        }
        while (true) {
            // one round: each tenant in turn, credited once, sends while its credit lasts
            for (int k = ring.size(); k > 0; k--) {
                Tenant t = ring.peekFirst();
                if (!t.inTurn) {
                    t.inTurn = true;
                    t.credit += shares.creditPerTurn(t.name);
                }
                Waiting next = t.calls.peek();
                if (t.credit >= next.tokens()) {
                    t.credit -= next.tokens();
                    t.calls.poll();
                    size--;
                    if (t.calls.isEmpty()) {
                        // a tenant with nothing waiting keeps no credit for later
                        ring.pollFirst();
                        tenants.remove(t.name);
                    }
                    return next.start();
                }
                t.inTurn = false;
                ring.addLast(ring.pollFirst());
            }
            skipIdleRounds();
        }
    }

    /**
     * No tenant could send in a whole round: credits every tenant with the rounds but one that the
     * nearest of them still needs (the next round adds the last), as if they had passed.
     */
    private void skipIdleRounds() {
        long rounds = Long.MAX_VALUE;
        for (Tenant t : ring) {
            long perTurn = shares.creditPerTurn(t.name);
            long missing = t.calls.peek().tokens() - t.credit;
            rounds = Math.min(rounds, (missing + perTurn - 1) / perTurn);
        }
        for (Tenant t : ring) {
            t.credit += (rounds - 1) * shares.creditPerTurn(t.name);
        }
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }
}
