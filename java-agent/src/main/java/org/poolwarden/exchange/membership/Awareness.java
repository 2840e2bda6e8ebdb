package org.poolwarden.exchange.membership;

/**
 * Lifeguard's local health multiplier: when this host misses acks it cannot blame on others (no nacks came back),
 * or gets suspected itself, or notices it was stalled, it stretches its own probe interval and timeouts so it does
 * not accuse healthy peers of its own slowness. Successful probes bring it back.
 */
public final class Awareness {
    private final int max;
    private int score;

    public Awareness(int max) {
        this.max = max;
    }

    public void apply(int delta) {
        score = Math.max(0, Math.min(max - 1, score + delta));
    }

    public int score() {
        return score;
    }

    public long scale(long nanos) {
        return nanos * (score + 1);
    }
}
