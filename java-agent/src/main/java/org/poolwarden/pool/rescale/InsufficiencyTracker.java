package org.poolwarden.pool.rescale;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns successive rescale results into events: an insufficient-resources event when a claim starts (or changes)
 * being short, a restored event when it is met again. Host-local state; the results themselves are pure.
 */
public final class InsufficiencyTracker {

    public sealed interface Event permits Short, Restored {
    }

    /** A claim is newly short, or short by a different amount. */
    public record Short(InsufficientResources what) implements Event {
    }

    /** A claim that was short is met again (e.g. the failed host came back). */
    public record Restored(String resource, String id) implements Event {
    }

    private final Map<String, InsufficientResources> current = new HashMap<>();
    private long shortEvents;
    private long restoredEvents;

    /** Events in a deterministic order (by key). */
    public List<Event> update(List<InsufficientResources> now) {
        Map<String, InsufficientResources> next = new HashMap<>();
        for (InsufficientResources i : now) {
            next.put(i.resource() + "\u0000" + i.id(), i);
        }
        TreeSet<String> keys = new TreeSet<>(current.keySet());
        keys.addAll(next.keySet());
        List<Event> events = new ArrayList<>();
        for (String k : keys) {
            InsufficientResources before = current.get(k);
            InsufficientResources after = next.get(k);
            if (after != null && !after.equals(before)) {
                events.add(new Short(after));
                shortEvents++;
            } else if (after == null) {
                events.add(new Restored(before.resource(), before.id()));
                restoredEvents++;
            }
        }
        current.clear();
        current.putAll(next);
        return events;
    }

    public long shortEvents() {
        return shortEvents;
    }

    public long restoredEvents() {
        return restoredEvents;
    }
}
