package org.poolwarden.tc.bandwidth;

import org.poolwarden.tc.filter.U32Selector;
import org.poolwarden.tc.htb.HtbClassOptions;

/** One change to one device's tree, as the diff plans it; encoded to rtnetlink or applied to the fake. */
public sealed interface TcOp {
    /**
     * Install our root HTB qdisc with this default class, replacing a foreign or default one; {@code deleteOursFirst}
     * when ours is there with another default class (HTB cannot change that in place).
     */
    record SetRoot(int defaultMinor, boolean deleteOursFirst) implements TcOp {
    }

    /** Create or change a class; {@code create} false means it exists and is changed in place. */
    record SetClass(int minor, int parentMinor, HtbClassOptions options, boolean create) implements TcOp {
    }

    record DeleteClass(int minor) implements TcOp {
    }

    /** A pfifo leaf queue of {@code limit} packets under class {@code minor}. */
    record SetLeaf(int minor, int limit) implements TcOp {
    }

    record AddFilter(int prio, U32Selector selector, int classMinor) implements TcOp {
    }

    record DeleteFilter(int prio) implements TcOp {
    }

    /** A human-readable line for logs and reports. */
    static String describe(TcOp op) {
        if (op instanceof SetRoot r) {
            return "root htb qdisc " + Integer.toHexString(BandwidthController.ROOT_MAJOR) + ": default 0x"
                    + Integer.toHexString(r.defaultMinor());
        }
        if (op instanceof SetClass c) {
            return (c.create() ? "create" : "change") + " class 0x" + Integer.toHexString(c.minor()) + " rate "
                    + c.options().rate() * 8 + " ceil " + c.options().ceil() * 8 + " bit/s";
        }
        if (op instanceof DeleteClass d) {
            return "delete class 0x" + Integer.toHexString(d.minor());
        }
        if (op instanceof SetLeaf l) {
            return "pfifo limit " + l.limit() + " under class 0x" + Integer.toHexString(l.minor());
        }
        if (op instanceof AddFilter f) {
            return "u32 filter prio " + f.prio() + " -> class 0x" + Integer.toHexString(f.classMinor());
        }
        return "delete filter prio " + ((DeleteFilter) op).prio();
    }
}
