package org.poolwarden.nft;

import java.util.Map;

/** Per-app traffic (by app name) and the traffic no app claimed. */
public record AppCounters(Map<String, Traffic> apps, Traffic unclassified) {
    public AppCounters {
        apps = Map.copyOf(apps);
    }

    public Traffic of(String app) {
        return apps.getOrDefault(app, Traffic.ZERO);
    }

    static AppCounters fromCounters(Map<String, Traffic> byCounterName) {
        Map<String, Traffic> apps = new java.util.TreeMap<>();
        byCounterName.forEach((name, t) -> {
            if (name.startsWith("app_")) {
                apps.put(name.substring(4), t);
            }
        });
        return new AppCounters(apps, byCounterName.getOrDefault(TableRenderer.UNCLASSIFIED, Traffic.ZERO));
    }
}
