package org.poolwarden.pool.rescale;

/**
 * A booking that cannot be met (seed 004: lswm_jobs_insufficient_resources).
 *
 * @param resource  which resource ("cpu", "pipe:NAME", "cpu-placement")
 * @param id        the application
 * @param requested absolute amount the policy asks for
 * @param granted   absolute amount it gets
 */
public record InsufficientResources(String resource, String id, double requested, double granted) {
    @Override
    public String toString() {
        return "insufficient " + resource + " for " + id + ": wants " + requested + ", gets " + granted;
    }
}
