package org.poolwarden.pool.rescale;

/**
 * An absolute amount a policy asks for (cores, bytes per tick, ...).
 *
 * @param id       what asks (an application id)
 * @param priority higher keeps its amount first
 * @param amount   absolute amount, >= 0 and finite
 */
public record Claim(String id, int priority, double amount) {
    public Claim {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("claim: id is empty");
        }
        if (!Double.isFinite(amount) || amount < 0) {
            throw new IllegalArgumentException("claim " + id + ": amount=" + amount + " must be finite and >= 0");
        }
    }
}
