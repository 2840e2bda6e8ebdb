package org.poolwarden.store;

/**
 * One measured value of one app (or "host", or "pipe:NAME") at one moment.
 *
 * @param metric e.g. {@code cpu.percent}, {@code pipe.uplink.out.bytes_per_s}
 */
public record Sample(String subject, String metric, double value) {}
