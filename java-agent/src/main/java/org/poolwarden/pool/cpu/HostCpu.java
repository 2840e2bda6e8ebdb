package org.poolwarden.pool.cpu;

/**
 * A member's CPU as the pool sees it.
 *
 * @param hostId member id
 * @param cores  CPU capacity available to managed applications, in cores (> 0)
 * @param alive  false once membership declares it failed or gone
 */
public record HostCpu(String hostId, double cores, boolean alive) {
    public HostCpu {
        if (hostId == null || hostId.isBlank()) {
            throw new IllegalArgumentException("host cpu: hostId is empty");
        }
        if (!(cores > 0) || Double.isInfinite(cores)) {
            throw new IllegalArgumentException("host " + hostId + ": cores=" + cores + " must be finite and > 0");
        }
    }
}
