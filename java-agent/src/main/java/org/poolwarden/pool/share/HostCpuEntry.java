package org.poolwarden.pool.share;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a host publishes for pool CPU policies, as decoded (numbers unchecked: the coordinator validates them).
 *
 * @param cores     CPU available to managed applications on the host
 * @param instances instances per app running there
 */
public record HostCpuEntry(double cores, SortedMap<String, Integer> instances) {
    public HostCpuEntry {
        instances = Collections.unmodifiableSortedMap(new TreeMap<>(instances));
    }
}
