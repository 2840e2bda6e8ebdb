package org.poolwarden.pool.pipe;

/**
 * "App A is guaranteed P% of pipe X".
 *
 * @param appId    application
 * @param percent  share of the pipe's capacity, in (0,100]; the sum over apps may exceed 100 (then rescaled)
 * @param priority higher keeps its booking first
 */
public record PipeBooking(String appId, double percent, int priority) {
    public PipeBooking {
        if (appId == null || appId.isBlank()) {
            throw new IllegalArgumentException("pipe booking: appId is empty");
        }
        if (!(percent > 0 && percent <= 100)) {
            throw new IllegalArgumentException("pipe booking " + appId + ": percent=" + percent
                    + " must be in (0,100]");
        }
    }
}
