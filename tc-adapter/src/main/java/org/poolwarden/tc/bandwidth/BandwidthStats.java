package org.poolwarden.tc.bandwidth;

import java.util.List;
import java.util.Optional;

/** Per-class counters of a pipe interface's egress and ingress trees, each read in one class dump. */
public record BandwidthStats(String device, List<ClassCounters> egress, List<ClassCounters> ingress) {
    public BandwidthStats {
        egress = List.copyOf(egress);
        ingress = List.copyOf(ingress);
    }

    /**
     * One class's counters. {@code app} is the app name, {@code "default"} for the default class, {@code "root"} for
     * the root class. Bytes and packets are cumulative since the class was created.
     */
    public record ClassCounters(String app, int minor, long bytes, long packets, long drops, long overlimits,
                                long backlogBytes, long backlogPackets) {
    }

    public Optional<ClassCounters> egress(String app) {
        return egress.stream().filter(c -> c.app().equals(app)).findFirst();
    }

    public Optional<ClassCounters> ingress(String app) {
        return ingress.stream().filter(c -> c.app().equals(app)).findFirst();
    }
}
