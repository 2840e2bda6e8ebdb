package org.poolwarden.pool.rescale;

import java.util.List;
import java.util.Optional;

/** Grants sorted by priority (highest first) then id, and the claims that were not met. */
public record RescaleResult(List<Granted> grants, List<InsufficientResources> insufficient) {
    public RescaleResult {
        grants = List.copyOf(grants);
        insufficient = List.copyOf(insufficient);
    }

    public Optional<Granted> grant(String id) {
        return grants.stream().filter(g -> g.id().equals(id)).findFirst();
    }

    public double granted(String id) {
        return grant(id).map(Granted::granted).orElse(0.0);
    }

    public double total() {
        double s = 0;
        for (Granted g : grants) {
            s += g.granted();
        }
        return s;
    }
}
