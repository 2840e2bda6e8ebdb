package org.poolwarden.pool.cpu;

import java.util.List;
import org.poolwarden.pool.rescale.InsufficientResources;
import org.poolwarden.pool.rescale.RescaleResult;

/**
 * Per host and app caps and weights, sorted by host then app.
 *
 * @param nominalCores  CPU of all members (the base of the policies' percentages)
 * @param liveCores     CPU of live members
 * @param targets       each policy's absolute amount after rescaling over the live CPU
 * @param entries       per (host, app)
 * @param insufficient  policies not met: by rescaling ("cpu") or because the hosts the app runs on are full
 *                      ("cpu-placement")
 */
public record CpuAllocation(double nominalCores, double liveCores, RescaleResult targets, List<HostAppCpu> entries,
                            List<InsufficientResources> insufficient) {
    public CpuAllocation {
        entries = List.copyOf(entries);
        insufficient = List.copyOf(insufficient);
    }

    public double placed(String appId) {
        double s = 0;
        for (HostAppCpu e : entries) {
            if (e.appId().equals(appId)) {
                s += e.capCores();
            }
        }
        return s;
    }

    public double onHost(String hostId) {
        double s = 0;
        for (HostAppCpu e : entries) {
            if (e.hostId().equals(hostId)) {
                s += e.capCores();
            }
        }
        return s;
    }
}
