package org.poolwarden.tc.bandwidth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.poolwarden.tc.htb.HtbArithmetic;
import org.poolwarden.tc.htb.HtbClassOptions;
import org.poolwarden.tc.htb.Psched;

/**
 * The pure heart of reconciliation: turns a {@link BandwidthSpec.TreeSpec} into the {@link TreeState} we want,
 * and a (wanted, observed) pair into the ordered operations that make observed equal wanted. No I/O.
 */
public final class TreePlanner {
    /** r2q given to the root qdisc; irrelevant because every class gets an explicit quantum from the tree's r2q. */
    public static final int R2Q = HtbArithmetic.DEFAULT_R2Q;

    private final Psched psched;
    private final int mtu;

    public TreePlanner(Psched psched, int mtu) {
        this.psched = psched;
        this.mtu = mtu;
    }

    /**
     * Class options for a class of {@code rate}/{@code ceil} bits per second, with the quantum rate/r2q for the
     * tree's r2q (see {@link HtbArithmetic#treeR2q}).
     */
    public HtbClassOptions options(long rateBits, long ceilBits, int r2q) {
        long rate = HtbArithmetic.bytesPerSecond(rateBits);
        return new HtbClassOptions(rate, HtbArithmetic.bytesPerSecond(ceilBits), 0, 0,
                HtbArithmetic.quantum(rate, r2q, mtu), 0, mtu);
    }

    /** The state the kernel should have for {@code t}. */
    public TreeState want(BandwidthSpec.TreeSpec t) {
        Map<Integer, TreeState.ClassState> classes = new HashMap<>();
        Map<Integer, Integer> leaves = new HashMap<>();
        BandwidthSpec.DefaultClass d = t.defaultClass();
        // r2q from the share (no leaf rate exceeds it), not from the fastest leaf: a booking change then stays a
        // one-class change instead of rewriting every quantum
        int r2q = HtbArithmetic.treeR2q(HtbArithmetic.bytesPerSecond(t.share()));
        classes.put(BandwidthController.ROOT_CLASS_MINOR, state(0, options(t.share(), t.share(), r2q)));
        classes.put(d.minor(), state(BandwidthController.ROOT_CLASS_MINOR, options(d.rate(), d.ceil(), r2q)));
        leaves.put(d.minor(), BandwidthController.LEAF_QUEUE_PACKETS);
        for (BandwidthSpec.AppClass a : t.apps()) {
            classes.put(a.minor(), state(BandwidthController.ROOT_CLASS_MINOR, options(a.rate(), a.ceil(), r2q)));
            leaves.put(a.minor(), BandwidthController.LEAF_QUEUE_PACKETS);
        }
        Map<Integer, TreeState.FilterState> filters = new HashMap<>();
        for (BandwidthSpec.Classifier c : t.classifiers()) {
            filters.put(c.prio(), new TreeState.FilterState(c.match().selector().keys(), c.minor()));
        }
        return new TreeState(new TreeState.RootQdisc(BandwidthController.ROOT_MAJOR << 16, "htb", d.minor()), classes,
                leaves, filters);
    }

    private TreeState.ClassState state(int parent, HtbClassOptions o) {
        return new TreeState.ClassState(parent, o.rate(), o.ceil(),
                HtbArithmetic.burstTicks(o.rate(), o.effectiveBurst(psched), psched),
                HtbArithmetic.burstTicks(o.ceil(), o.effectiveCburst(psched), psched), o.effectiveQuantum(R2Q), o.prio());
    }

    /** Options that reproduce a wanted class state exactly (rates, quantum and prio; bursts follow from them). */
    HtbClassOptions optionsOf(TreeState.ClassState c) {
        return new HtbClassOptions(c.rate(), c.ceil(), 0, 0, c.quantum(), c.prio(), mtu);
    }

    /**
     * The operations that turn {@code have} into {@code want}, in a safe order: stale filters go first (a class
     * with filters pointing at it cannot be deleted), then the root, classes parents-first, leaf queues, new
     * filters, and last the classes no longer wanted. A foreign root yields nothing unless {@code takeOver}.
     */
    public List<TcOp> diff(TreeState want, TreeState have) {
        List<TcOp> ops = new ArrayList<>();
        boolean rebuild = have.root() == null || !have.root().ours()
                || have.root().defaultMinor() != want.root().defaultMinor();
        TreeState base = rebuild ? TreeState.empty() : have;
        if (!rebuild) {
            for (var f : have.filters().entrySet()) {
                if (!f.getValue().equals(want.filters().get(f.getKey()))) {
                    ops.add(new TcOp.DeleteFilter(f.getKey()));
                }
            }
        }
        if (rebuild) {
            // HTB cannot change its default class in place, and a foreign or default root is replaced whole
            ops.add(new TcOp.SetRoot(want.root().defaultMinor(), have.root() != null && have.root().ours()));
        }
        List<Integer> order = new ArrayList<>(want.classes().keySet());
        order.sort((a, b) -> Integer.compare(depth(want, a), depth(want, b)));
        for (int minor : order) {
            TreeState.ClassState w = want.classes().get(minor);
            TreeState.ClassState h = base.classes().get(minor);
            if (h == null) {
                ops.add(new TcOp.SetClass(minor, w.parentMinor(), optionsOf(w), true));
            } else if (h.parentMinor() != w.parentMinor()) {
                ops.add(new TcOp.DeleteClass(minor));
                ops.add(new TcOp.SetClass(minor, w.parentMinor(), optionsOf(w), true));
            } else if (!h.equals(w)) {
                ops.add(new TcOp.SetClass(minor, w.parentMinor(), optionsOf(w), false));
            }
        }
        for (var l : want.leafLimits().entrySet()) {
            Integer h = base.leafLimits().get(l.getKey());
            if (!l.getValue().equals(h)) {
                ops.add(new TcOp.SetLeaf(l.getKey(), l.getValue()));
            }
        }
        for (var f : want.filters().entrySet()) {
            if (!f.getValue().equals(base.filters().get(f.getKey()))) {
                ops.add(new TcOp.AddFilter(f.getKey(), org.poolwarden.tc.filter.U32Selector.of(f.getValue().keys()),
                        f.getValue().classMinor()));
            }
        }
        List<Integer> stale = new ArrayList<>();
        for (int minor : base.classes().keySet()) {
            if (!want.classes().containsKey(minor)) {
                stale.add(minor);
            }
        }
        stale.sort((a, b) -> Integer.compare(depth(base, b), depth(base, a)));
        for (int minor : stale) {
            ops.add(new TcOp.DeleteClass(minor));
        }
        return ops;
    }

    private static int depth(TreeState t, int minor) {
        int d = 0;
        TreeState.ClassState c = t.classes().get(minor);
        while (c != null && c.parentMinor() != 0 && d < 16) {
            d++;
            c = t.classes().get(c.parentMinor());
        }
        return d;
    }
}
