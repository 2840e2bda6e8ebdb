package org.poolwarden.tc.bandwidth;

import java.util.List;

/**
 * What one {@link BandwidthController#apply} did: how many change messages it sent, how many of them undid drift
 * (outside changes to our objects), and the foreign root qdiscs it found and left alone (their tree not applied).
 */
public record ApplyReport(int changesSent, int driftCorrected, List<String> foreignRoots, List<String> changes) {
    public ApplyReport {
        foreignRoots = List.copyOf(foreignRoots);
        changes = List.copyOf(changes);
    }

    public boolean unchanged() {
        return changesSent == 0;
    }
}
