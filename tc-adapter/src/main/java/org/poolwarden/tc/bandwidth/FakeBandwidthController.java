package org.poolwarden.tc.bandwidth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.poolwarden.tc.filter.FilterInfo;
import org.poolwarden.tc.htb.HtbArithmetic;
import org.poolwarden.tc.htb.HtbClassOptions;
import org.poolwarden.tc.htb.Psched;

/**
 * An in-memory {@link BandwidthController} over a simulated kernel: devices, root qdiscs, HTB classes, leaf
 * queues, u32 filters, ingress redirects and IFBs. It plans with the same {@link TreePlanner} as the real one, so
 * the two differ only in where the operations land. Test hooks simulate outside changes and traffic.
 */
public final class FakeBandwidthController implements BandwidthController {
    /** One simulated device's traffic-control state. */
    static final class Device {
        final int index;
        TreeState.RootQdisc root;
        final Map<Integer, TreeState.ClassState> classes = new TreeMap<>();
        final Map<Integer, Integer> leaves = new TreeMap<>();
        final Map<Integer, TreeState.FilterState> filters = new TreeMap<>();
        final Map<Integer, long[]> counters = new HashMap<>();
        /** The qdisc on the ingress hook (null: none) and the filters under it, as the kernel would dump them. */
        String ingressKind;
        final List<FilterInfo> ingressFilters = new ArrayList<>();
        boolean ingressCreated;
        boolean up = true;
        boolean ifb;

        Device(int index) {
            this.index = index;
        }

        TreeState state() {
            boolean ours = root != null && root.ours();
            return new TreeState(root, ours ? classes : Map.of(), ours ? leaves : Map.of(), ours ? filters : Map.of());
        }

        String describe() {
            return "root=" + root + " classes=" + classes + " leaves=" + leaves + " filters=" + filters + " ingress="
                    + (ingressKind != null) + " ingressKind=" + ingressKind + " ingressFilters=" + ingressFilters + " up=" + up;
        }
    }

    private final Map<String, Device> devices = new LinkedHashMap<>();
    private final TreePlanner planner = new TreePlanner(Psched.MODERN, HtbArithmetic.DEFAULT_MTU);
    private final Map<String, BandwidthSpec> applied = new HashMap<>();
    private int nextIndex = 2;
    private long applies;
    private long changesSent;
    private long driftCorrected;
    private long foreignRootsSeen;
    private long errors;

    /** Adds a network interface (with the kernel's default root qdisc). */
    public FakeBandwidthController addDevice(String name) {
        devices.put(name, new Device(nextIndex++));
        return this;
    }

    @Override
    public ApplyReport apply(BandwidthSpec spec) {
        SpecValidator.validate(spec);
        Device dev = devices.get(spec.device());
        if (dev == null || dev.ifb) {
            throw new BandwidthSpecException("device", "no interface named '" + spec.device() + "'");
        }
        applies++;
        BandwidthSpec last = applied.get(spec.device());
        String ifbName = RtnetlinkBandwidthController.ifbName(dev.index);
        // the same checks as the real controller, before anything changes
        TreeState.RootQdisc root = dev.state().root();
        if (spec.egress() != null && root != null && !root.ours() && !root.kernelDefault() && !spec.takeOverForeignRoot()) {
            foreignRootsSeen++;
            errors++;
            throw new ForeignObjectException(spec.device(), "root qdisc " + root.kind() + " " + org.poolwarden.tc.netlink.TcMessages.format(root.handle()), "fake: not ours");
        }
        if (spec.ingress() != null) {
            Device named = devices.get(ifbName);
            if (named != null && !named.ifb) {
                errors++;
                throw new ForeignObjectException(spec.device(), "interface " + ifbName, "fake: not an ifb");
            }
            try {
                IngressRedirect.check(spec.device(), ingress(dev));
            } catch (ForeignObjectException e) {
                errors++;
                throw e;
            }
        }
        int[] sent = {0};
        int[] drift = {0};
        List<String> changes = new ArrayList<>();
        if (spec.egress() != null) {
            tree(dev, spec.device(), spec.egress(), last == null ? null : last.egress(), sent, drift, changes);
        } else if (last != null && last.egress() != null && dev.root != null && dev.root.ours()) {
            clearRoot(dev);
            sent[0]++;
        }
        if (spec.ingress() != null) {
            boolean had = last != null && last.ingress() != null;
            Device ifb = devices.get(ifbName);
            boolean created = ifb == null;
            if (created) {
                ifb = new Device(nextIndex++);
                ifb.ifb = true;
                ifb.up = false;
                devices.put(ifbName, ifb);
                sent[0]++;
                drift[0] += had ? 1 : 0;
                changes.add(ifbName + ": create ifb");
            }
            if (!ifb.up) {
                ifb.up = true;
                sent[0]++;
                drift[0] += had && !created ? 1 : 0;
            }
            List<IngressRedirect.Op> ops = IngressRedirect.ensure(spec.device(), ingress(dev), ifb.index,
                    dev.ingressCreated);
            if (!ops.isEmpty()) {
                execute(dev, ops);
                sent[0] += ops.size();
                drift[0] += had ? 1 : 0;
                changes.add(spec.device() + ": " + ops);
            }
            tree(ifb, ifbName, spec.ingress(), last == null ? null : last.ingress(), sent, drift, changes);
        } else if (last != null && last.ingress() != null) {
            sent[0] += removeIngress(dev);
        }
        applied.put(spec.device(), spec);
        changesSent += sent[0];
        driftCorrected += drift[0];
        return new ApplyReport(sent[0], drift[0], changes);
    }

    private static IngressRedirect.State ingress(Device dev) {
        return new IngressRedirect.State(dev.ingressKind, dev.ingressFilters);
    }

    /** The ingress operations with the kernel's semantics (deleting a qdisc takes its filters along). */
    private static void execute(Device dev, List<IngressRedirect.Op> ops) {
        for (IngressRedirect.Op op : ops) {
            if (op instanceof IngressRedirect.CreateQdisc) {
                dev.ingressKind = IngressRedirect.INGRESS;
                dev.ingressCreated = true;
            } else if (op instanceof IngressRedirect.AddRedirect a) {
                dev.ingressFilters.add(new FilterInfo(BandwidthController.INGRESS_REDIRECT_PRIO, 3, 0x80000000 | a.node(),
                        "u32", true, List.of(), 0, a.ifbIndex()));
            } else if (op instanceof IngressRedirect.DeleteRedirect d) {
                dev.ingressFilters.removeIf(f -> f.prio() == BandwidthController.INGRESS_REDIRECT_PRIO
                        && (d.handle() == 0 || f.handle() == d.handle()));
            } else if (op instanceof IngressRedirect.DeleteQdisc) {
                dev.ingressKind = null;
                dev.ingressFilters.clear();
                dev.ingressCreated = false;
            }
        }
    }

    private void tree(Device dev, String name, BandwidthSpec.TreeSpec tree, BandwidthSpec.TreeSpec lastTree,
                      int[] sent, int[] drift, List<String> changes) {
        TreeState have = dev.state();
        if (lastTree != null) {
            drift[0] += planner.diff(planner.want(lastTree), have).size();
        }
        for (TcOp op : planner.diff(planner.want(tree), have)) {
            execute(dev, op);
            sent[0] += op instanceof TcOp.SetRoot r && r.deleteOursFirst() ? 2 : 1;
            changes.add(name + ": " + TcOp.describe(op));
        }
    }

    /** Applies one operation with the kernel's semantics (replacing a root destroys the tree under it). */
    private void execute(Device dev, TcOp op) {
        if (op instanceof TcOp.SetRoot r) {
            clearRoot(dev);
            dev.root = new TreeState.RootQdisc(BandwidthController.ROOT_MAJOR << 16, "htb", r.defaultMinor());
        } else if (op instanceof TcOp.SetClass c) {
            HtbClassOptions o = c.options();
            Psched p = Psched.MODERN;
            dev.classes.put(c.minor(), new TreeState.ClassState(c.parentMinor(), o.rate(), o.ceil(),
                    HtbArithmetic.burstTicks(o.rate(), o.effectiveBurst(p), p),
                    HtbArithmetic.burstTicks(o.ceil(), o.effectiveCburst(p), p), o.effectiveQuantum(TreePlanner.R2Q),
                    o.prio()));
            dev.counters.putIfAbsent(c.minor(), new long[2]);
        } else if (op instanceof TcOp.DeleteClass d) {
            dev.classes.remove(d.minor());
            dev.leaves.remove(d.minor());
            dev.counters.remove(d.minor());
        } else if (op instanceof TcOp.SetLeaf l) {
            dev.leaves.put(l.minor(), l.limit());
        } else if (op instanceof TcOp.AddFilter f) {
            dev.filters.put(f.prio(), new TreeState.FilterState(f.selector().keys(), f.classMinor()));
        } else if (op instanceof TcOp.DeleteFilter f) {
            dev.filters.remove(f.prio());
        }
    }

    private static void clearRoot(Device dev) {
        dev.root = null;
        dev.classes.clear();
        dev.leaves.clear();
        dev.filters.clear();
        dev.counters.clear();
    }

    private int removeIngress(Device dev) {
        List<IngressRedirect.Op> ops = IngressRedirect.remove(ingress(dev));
        execute(dev, ops);
        int sent = ops.size();
        if (devices.remove(RtnetlinkBandwidthController.ifbName(dev.index)) != null) {
            sent++;
        }
        return sent;
    }

    @Override
    public BandwidthStats stats(String device) {
        Device dev = devices.get(device);
        if (dev == null) {
            throw new BandwidthSpecException("device", "no interface named '" + device + "'");
        }
        BandwidthSpec spec = applied.get(device);
        List<BandwidthStats.ClassCounters> ingress = List.of();
        if (spec != null && spec.ingress() != null) {
            Device ifb = devices.get(RtnetlinkBandwidthController.ifbName(dev.index));
            if (ifb != null) {
                ingress = counters(ifb, spec.ingress());
            }
        }
        return new BandwidthStats(device, counters(dev, spec == null ? null : spec.egress()), ingress);
    }

    private static List<BandwidthStats.ClassCounters> counters(Device dev, BandwidthSpec.TreeSpec tree) {
        Map<Integer, String> names = new HashMap<>();
        names.put(BandwidthController.ROOT_CLASS_MINOR, "root");
        if (tree != null) {
            names.put(tree.defaultClass().minor(), "default");
            tree.apps().forEach(a -> names.put(a.minor(), a.app()));
        }
        List<BandwidthStats.ClassCounters> out = new ArrayList<>();
        if (dev.root == null || !dev.root.ours()) {
            return out;
        }
        for (int minor : dev.classes.keySet()) {
            long[] c = dev.counters.getOrDefault(minor, new long[2]);
            out.add(new BandwidthStats.ClassCounters(names.getOrDefault(minor, "0x" + Integer.toHexString(minor)), minor,
                    c[0], c[1], 0, 0, 0, 0));
        }
        return out;
    }

    @Override
    public void remove(String device) {
        Device dev = devices.get(device);
        if (dev != null) {
            if (dev.root != null && dev.root.ours()) {
                clearRoot(dev);
                changesSent++;
            }
            changesSent += removeIngress(dev);
        }
        applied.remove(device);
    }

    @Override
    public Counters counters() {
        return new Counters(applies, changesSent, driftCorrected, foreignRootsSeen, errors);
    }

    @Override
    public void close() {
    }

    // ---- test hooks: outside changes and traffic ----

    /** Someone else changes one of our classes' rate (bits per second) behind our back. */
    public void tamperRate(String device, int minor, long rateBits) {
        Device dev = devices.get(device);
        TreeState.ClassState c = dev.classes.get(minor);
        long rate = rateBits / 8;
        dev.classes.put(minor, new TreeState.ClassState(c.parentMinor(), rate, Math.max(rate, c.ceil()), c.bufferTicks(),
                c.cbufferTicks(), c.quantum(), c.prio()));
    }

    public void deleteClass(String device, int minor) {
        Device dev = devices.get(device);
        dev.classes.remove(minor);
        dev.leaves.remove(minor);
    }

    /** Someone installs their own root qdisc (e.g. a tbf with handle 1:). */
    public void installForeignRoot(String device, String kind) {
        Device dev = devices.get(device);
        clearRoot(dev);
        dev.root = new TreeState.RootQdisc(0x10000, kind, 0);
    }

    /**
     * Someone else's ingress qdisc on {@code device} (kind {@code ingress} or {@code clsact}), with a u32 filter of
     * theirs at {@code filterPrio} (0: none).
     */
    public void installForeignIngress(String device, String kind, int filterPrio) {
        Device dev = devices.get(device);
        dev.ingressKind = kind;
        if (filterPrio != 0) {
            dev.ingressFilters.add(new FilterInfo(filterPrio, 0x0800, 0x80000800, "u32", true, List.of(), 0x10001, 0));
        }
    }

    /** Someone deletes every filter at {@code prio} on the device's ingress hook. */
    public void deleteIngressFilters(String device, int prio) {
        devices.get(device).ingressFilters.removeIf(f -> f.prio() == prio);
    }

    /** Traffic through a class: the counters the kernel would keep. */
    public void count(String device, int minor, long bytes, long packets) {
        long[] c = devices.get(device).counters.computeIfAbsent(minor, k -> new long[2]);
        c[0] += bytes;
        c[1] += packets;
    }

    /** The rate (bits per second) of a class as the simulated kernel has it, or -1. */
    public long classRate(String device, int minor) {
        TreeState.ClassState c = devices.get(device).classes.get(minor);
        return c == null ? -1 : c.rate() * 8;
    }

    /** A full description of the simulated kernel, to check that failed calls changed nothing. */
    public String snapshot() {
        StringBuilder sb = new StringBuilder();
        devices.forEach((n, d) -> sb.append(n).append(": ").append(d.describe()).append('\n'));
        return sb.toString();
    }
}
