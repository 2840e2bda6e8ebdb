package org.poolwarden.pool.share;

/** This host's CPU for pool CPU policies: sampled on the slow path (cores and instances change rarely). */
public interface CpuSource {
    HostCpuEntry sample(long nowNanos);
}
