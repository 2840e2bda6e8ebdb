package org.poolwarden.pool.rescale;

/** What a claim got after rescaling. */
public record Granted(String id, int priority, double requested, double granted) {
    public boolean met() {
        return granted >= requested;
    }
}
