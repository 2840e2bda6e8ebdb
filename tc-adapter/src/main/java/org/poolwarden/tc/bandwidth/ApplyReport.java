package org.poolwarden.tc.bandwidth;

import java.util.List;

/**
 * What one {@link BandwidthController#apply} did: how many change messages it sent, how many of them undid drift
 * (outside changes to our objects), and each change as a line. (A foreign root qdisc is not a report but a
 * {@link ForeignObjectException}: the apply then changes nothing.)
 */
public record ApplyReport(int changesSent, int driftCorrected, List<String> changes) {
    public ApplyReport {
        changes = List.copyOf(changes);
    }

    public boolean unchanged() {
        return changesSent == 0;
    }
}
