package org.poolwarden.policy;

import java.util.List;
import java.util.Map;

/**
 * The concrete result of the policies on this host: what the reconcilers make the kernel look like (in enforce mode)
 * and what monitoring compares usage with (in both modes).
 *
 * @param cpu       per app, in config order
 * @param bandwidth per pipe, then per app, in config order
 * @param alarms    one per resource whose bookings did not fit
 */
public record PolicyPlan(Map<String, CpuAllocation> cpu, Map<String, Map<String, BandwidthAllocation>> bandwidth,
                         List<InsufficientResources> alarms) {
    public PolicyPlan {
        cpu = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(cpu));
        java.util.Map<String, Map<String, BandwidthAllocation>> b = new java.util.LinkedHashMap<>();
        bandwidth.forEach((k, v) -> b.put(k, java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(v))));
        bandwidth = java.util.Collections.unmodifiableMap(b);
        alarms = List.copyOf(alarms);
    }
}
