package org.poolwarden.tc.bandwidth;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.poolwarden.tc.filter.U32Selector;

/**
 * One device's traffic-control objects as far as the diff cares: the root qdisc, the classes and leaf queues under
 * our handle, and the u32 filters attached to our root. Used both for what the kernel has and for what we want.
 */
public record TreeState(RootQdisc root, Map<Integer, ClassState> classes, Map<Integer, Integer> leafLimits,
                        Map<Integer, FilterState> filters) {
    public TreeState {
        classes = new TreeMap<>(classes);
        leafLimits = new TreeMap<>(leafLimits);
        filters = new TreeMap<>(filters);
    }

    /** The root qdisc: {@code handle} 0 is the kernel's default (noqueue, pfifo_fast, mq), free to replace. */
    public record RootQdisc(int handle, String kind, int defaultMinor) {
        public boolean ours() {
            return (handle >>> 16) == BandwidthController.ROOT_MAJOR && "htb".equals(kind);
        }

        public boolean kernelDefault() {
            return handle == 0;
        }
    }

    /** An HTB class under our root, in the kernel's units (bytes/s, ticks). */
    public record ClassState(int parentMinor, long rate, long ceil, long bufferTicks, long cbufferTicks, int quantum,
                             int prio) {
    }

    /** A u32 filter node at one priority: its keys (host order) and target class minor. */
    public record FilterState(List<U32Selector.Key> keys, int classMinor) {
        public FilterState {
            keys = List.copyOf(keys);
        }
    }

    public static TreeState empty() {
        return new TreeState(null, Map.of(), Map.of(), Map.of());
    }
}
