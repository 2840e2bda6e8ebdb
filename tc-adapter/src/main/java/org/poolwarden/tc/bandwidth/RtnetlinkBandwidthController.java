package org.poolwarden.tc.bandwidth;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.poolwarden.os.KernelException;
import org.poolwarden.tc.filter.FilterCodec;
import org.poolwarden.tc.filter.FilterInfo;
import org.poolwarden.tc.filter.U32Selector;
import org.poolwarden.tc.htb.HtbArithmetic;
import org.poolwarden.tc.htb.Psched;
import org.poolwarden.tc.link.LinkInfo;
import org.poolwarden.tc.link.Links;
import org.poolwarden.tc.netlink.NetlinkWriter;
import org.poolwarden.tc.netlink.Rtnl;
import org.poolwarden.tc.netlink.RtnetlinkChannel;
import org.poolwarden.tc.netlink.TcMessages;
import org.poolwarden.tc.qdisc.QdiscMessages;
import org.poolwarden.tc.qdisc.TcObject;

/**
 * {@link BandwidthController} over one rtnetlink socket. Each apply reads the device's qdiscs, classes and
 * filters (a few dumps, no forks), diffs them against the wanted tree with {@link TreePlanner}, and sends only the
 * difference, batched into as few datagrams as fit. Not thread-safe: owned by the agent's control thread.
 */
public final class RtnetlinkBandwidthController implements BandwidthController {
    /** Start a new datagram when less than this is left in the send buffer (a class message is ~100 bytes). */
    static final int FLUSH_MARGIN = 4096;
    static final String IFB_PREFIX = "pwifb";

    private final RtnetlinkChannel ch;
    private final Links links;
    private final TreePlanner planner;
    private final Psched psched;
    private final Map<String, BandwidthSpec> applied = new HashMap<>();
    private final Map<String, Integer> ifindexCache = new HashMap<>();
    private final TcObject.Scratch objScratch = new TcObject.Scratch();
    private final FilterInfo.Scratch filterScratch = new FilterInfo.Scratch();

    private long applies;
    private long changesSent;
    private long driftCorrected;
    private long foreignRootsSeen;
    private long errors;
    private int pendingInBatch;

    private RtnetlinkBandwidthController(RtnetlinkChannel ch, Psched psched) {
        this.ch = ch;
        this.links = new Links(ch);
        this.psched = psched;
        this.planner = new TreePlanner(psched, HtbArithmetic.DEFAULT_MTU);
    }

    /** A controller for the network namespace at {@code netns} ({@code null}: this thread's). */
    public static RtnetlinkBandwidthController open(Path netns) {
        return new RtnetlinkBandwidthController(RtnetlinkChannel.open(netns), Psched.system());
    }

    /** The IFB that carries {@code device}'s ingress tree: named after its ifindex, so always 15 bytes or fewer. */
    public static String ifbName(int deviceIndex) {
        return IFB_PREFIX + deviceIndex;
    }

    @Override
    public ApplyReport apply(BandwidthSpec spec) {
        SpecValidator.validate(spec);
        LinkInfo dev = links.find(spec.device())
                .orElseThrow(() -> new BandwidthSpecException("device", "no interface named '" + spec.device() + "'"));
        ifindexCache.put(spec.device(), dev.index());
        applies++;
        Report r = new Report();
        BandwidthSpec last = applied.get(spec.device());
        try {
            if (spec.egress() != null) {
                reconcileTree(dev.index(), dev.name(), spec.egress(), last == null ? null : last.egress(),
                        spec.takeOverForeignRoot(), r);
            } else if (last != null && last.egress() != null) {
                removeRoot(dev.index(), r);
            }
            if (spec.ingress() != null) {
                LinkInfo ifb = ensureIngressRedirect(dev, r, last != null && last.ingress() != null);
                reconcileTree(ifb.index(), ifb.name(), spec.ingress(), last == null ? null : last.ingress(), true, r);
            } else if (last != null && last.ingress() != null) {
                removeIngress(dev, r);
            }
        } catch (KernelException e) {
            errors++;
            applied.remove(spec.device());
            throw e;
        }
        applied.put(spec.device(), spec);
        changesSent += r.sent;
        driftCorrected += r.drift;
        return new ApplyReport(r.sent, r.drift, r.foreign, r.changes);
    }

    private final class Report {
        int sent;
        int drift;
        final List<String> foreign = new ArrayList<>();
        final List<String> changes = new ArrayList<>();
    }

    private void reconcileTree(int ifindex, String ifname, BandwidthSpec.TreeSpec tree, BandwidthSpec.TreeSpec lastTree,
                               boolean takeOver, Report r) {
        TreeState have = observe(ifindex);
        TreeState.RootQdisc root = have.root();
        if (root != null && !root.ours() && !root.kernelDefault() && !takeOver) {
            foreignRootsSeen++;
            r.foreign.add(ifname + ": " + root.describe());
            return;
        }
        TreeState want = planner.want(tree);
        if (lastTree != null) {
            // what differs from the tree we applied last time was changed behind our back
            r.drift += planner.diff(planner.want(lastTree), have).size();
        }
        List<TcOp> ops = planner.diff(want, have);
        if (ops.isEmpty()) {
            return;
        }
        NetlinkWriter w = ch.begin();
        pendingInBatch = 0;
        for (TcOp op : ops) {
            encode(w, ifindex, op);
            r.changes.add(ifname + ": " + TcOp.describe(op));
            if (w.buffer().remaining() < FLUSH_MARGIN) {
                flush(ifname, r);
                w = ch.begin();
            }
        }
        flush(ifname, r);
    }

    private void flush(String ifname, Report r) {
        if (pendingInBatch == 0) {
            return;
        }
        int n = pendingInBatch;
        pendingInBatch = 0;
        ch.execute("tree on " + ifname);
        r.sent += n;
    }

    private void encode(NetlinkWriter w, int ifindex, TcOp op) {
        int root = BandwidthController.ROOT_MAJOR << 16;
        if (op instanceof TcOp.SetRoot s) {
            if (s.deleteOursFirst()) {
                QdiscMessages.writeDeleteQdisc(w, ch.nextSeq(), ifindex, root, Rtnl.TC_H_ROOT);
                pendingInBatch++;
            }
            QdiscMessages.writeHtbQdisc(w, TcMessages.REPLACE, ch.nextSeq(), ifindex, root, Rtnl.TC_H_ROOT,
                    TreePlanner.R2Q, s.defaultMinor());
        } else if (op instanceof TcOp.SetClass c) {
            int parent = c.parentMinor() == 0 ? root : root | c.parentMinor();
            QdiscMessages.writeHtbClass(w, TcMessages.REPLACE, ch.nextSeq(), ifindex, root | c.minor(), parent,
                    c.options(), TreePlanner.R2Q, psched, false);
        } else if (op instanceof TcOp.DeleteClass d) {
            QdiscMessages.writeDeleteClass(w, ch.nextSeq(), ifindex, root | d.minor(), 0);
        } else if (op instanceof TcOp.SetLeaf l) {
            QdiscMessages.writePfifoQdisc(w, TcMessages.REPLACE, ch.nextSeq(), ifindex, leafHandle(l.minor()),
                    root | l.minor(), l.limit());
        } else if (op instanceof TcOp.AddFilter f) {
            FilterCodec.writeU32(w, TcMessages.ADD, ch.nextSeq(), ifindex, root, f.prio(), Rtnl.ETH_P_IP, f.selector(),
                    root | f.classMinor(), 0);
        } else if (op instanceof TcOp.DeleteFilter f) {
            FilterCodec.writeDelete(w, ch.nextSeq(), ifindex, root, f.prio(), 0);
        }
        pendingInBatch++;
    }

    /** Leaf queue handles: 0x8000|minor as the major, clear of our root's 0x5057 and of the kernel's defaults. */
    static int leafHandle(int minor) {
        return (0x8000 | minor) << 16;
    }

    /** The device's tree as far as we own it (root qdisc, our classes, leaves, filters on our root). */
    TreeState observe(int ifindex) {
        int ourRoot = BandwidthController.ROOT_MAJOR << 16;
        TreeState.RootQdisc[] root = {null};
        Map<Integer, Integer> leaves = new HashMap<>();
        dumpAll(() -> QdiscMessages.writeDumpQdiscs(ch.begin(), ch.nextSeq(), ifindex), () -> {
            root[0] = null;
            leaves.clear();
        }, "qdiscs", m -> {
            if (m.tcIfindex() != ifindex) {
                return;
            }
            TcObject q = TcObject.decode(m, objScratch);
            if (q.parent() == Rtnl.TC_H_ROOT) {
                int def = q.htbQdisc() == null ? 0 : q.htbQdisc()[1];
                root[0] = new TreeState.RootQdisc(q.handle(), q.kind(), def);
            } else if ((q.parent() & 0xffff0000) == ourRoot && QdiscMessages.PFIFO.equals(q.kind())) {
                int minor = q.parent() & 0xffff;
                // a queue with another handle is not ours: -1 makes the diff replace it
                leaves.put(minor, q.handle() == leafHandle(minor) && q.pfifoLimit() != null ? q.pfifoLimit() : -1);
            }
        });
        Map<Integer, TreeState.ClassState> classes = new HashMap<>();
        Map<Integer, TreeState.FilterState> filters = new HashMap<>();
        if (root[0] != null && root[0].ours()) {
            dumpAll(() -> QdiscMessages.writeDumpClasses(ch.begin(), ch.nextSeq(), ifindex), classes::clear, "classes", m -> {
                TcObject c = TcObject.decode(m, objScratch);
                if ((c.handle() & 0xffff0000) != ourRoot || c.htb() == null) {
                    return;
                }
                // the kernel reports a top-level class's parent as TC_H_ROOT, not as the qdisc's handle
                int parentMinor = c.parent() == ourRoot || c.parent() == Rtnl.TC_H_ROOT ? 0 : c.parent() & 0xffff;
                classes.put(c.handle() & 0xffff, new TreeState.ClassState(parentMinor, c.htb().rate(), c.htb().ceil(),
                        c.htb().bufferTicks(), c.htb().cbufferTicks(), c.htb().quantum(), c.htb().prio()));
            });
            dumpAll(() -> QdiscMessages.writeDumpFilters(ch.begin(), ch.nextSeq(), ifindex, ourRoot), filters::clear,
                    "filters", m -> {
                FilterInfo f = FilterInfo.decode(m, filterScratch);
                if (!FilterCodec.U32.equals(f.kind())) {
                    // a filter kind we never create at our root: a prio holding it can never match, replace it
                    filters.put(f.prio(), new TreeState.FilterState(List.of(), -1));
                } else if (f.node()) {
                    TreeState.FilterState prev = filters.get(f.prio());
                    TreeState.FilterState now = new TreeState.FilterState(f.keys(),
                            (f.classId() & 0xffff0000) == ourRoot ? f.classId() & 0xffff : -1);
                    // two rules at one prio is not a state we create: mark it for replacement
                    filters.put(f.prio(), prev == null ? now : new TreeState.FilterState(List.of(), -1));
                } else {
                    filters.putIfAbsent(f.prio(), null);
                }
            });
            filters.entrySet().removeIf(e -> e.getValue() == null);
        }
        return new TreeState(root[0], classes, leaves, filters);
    }

    private interface Request {
        void write();
    }

    private void dumpAll(Request req, String what, java.util.function.Consumer<org.poolwarden.tc.netlink.NetlinkMessage> each) {
        dumpAll(req, () -> { }, what, each);
    }

    /**
     * A dump, repeated (up to 3 times, {@code reset} before each) when the kernel flags it as interrupted by a
     * concurrent change; the third result is used as it is.
     */
    private void dumpAll(Request req, Runnable reset, String what,
                         java.util.function.Consumer<org.poolwarden.tc.netlink.NetlinkMessage> each) {
        for (int attempt = 0; ; attempt++) {
            reset.run();
            req.write();
            boolean consistent = ch.dump(what, each);
            if (consistent || attempt == 2) {
                return;
            }
        }
    }

    /** IFB for the device (created and brought up when missing), ingress qdisc, and our redirect filter. */
    private LinkInfo ensureIngressRedirect(LinkInfo dev, Report r, boolean hadIngress) {
        String name = ifbName(dev.index());
        Optional<LinkInfo> found = links.find(name);
        LinkInfo ifb;
        if (found.isEmpty()) {
            ifb = links.createIfb(name);
            r.sent++;
            r.changes.add(name + ": create ifb");
            r.drift += hadIngress ? 1 : 0;
        } else {
            ifb = found.get();
            if (!"ifb".equals(ifb.kind())) {
                throw new BandwidthSpecException("ingress", "interface " + name + " exists and is a " + ifb.kind()
                        + ", not our ifb");
            }
        }
        if (!ifb.up()) {
            links.setUp(ifb, true);
            r.sent++;
            r.changes.add(name + ": set up");
            r.drift += found.isPresent() && hadIngress ? 1 : 0;
        }
        boolean[] ingress = {false};
        dumpAll(() -> QdiscMessages.writeDumpQdiscs(ch.begin(), ch.nextSeq(), dev.index()), "qdiscs", m -> {
            if (m.tcIfindex() == dev.index() && m.tcParent() == Rtnl.TC_H_INGRESS) {
                ingress[0] = true;
            }
        });
        if (!ingress[0]) {
            QdiscMessages.writeIngressQdisc(ch.begin(), TcMessages.ADD, ch.nextSeq(), dev.index());
            ch.execute("ingress qdisc on " + dev.name());
            r.sent++;
            r.changes.add(dev.name() + ": ingress qdisc");
            r.drift += hadIngress ? 1 : 0;
        }
        int[] target = {-1};
        boolean[] present = {false};
        dumpAll(() -> QdiscMessages.writeDumpFilters(ch.begin(), ch.nextSeq(), dev.index(), QdiscMessages.INGRESS_HANDLE),
                "ingress filters", m -> {
                    FilterInfo f = FilterInfo.decode(m, filterScratch);
                    if (f.prio() == BandwidthController.INGRESS_REDIRECT_PRIO) {
                        present[0] = true;
                        if (f.node()) {
                            target[0] = target[0] == -1 ? f.redirectIfindex() : -2;
                        }
                    }
                });
        if (target[0] != ifb.index()) {
            NetlinkWriter w = ch.begin();
            if (present[0]) {
                FilterCodec.writeDelete(w, ch.nextSeq(), dev.index(), QdiscMessages.INGRESS_HANDLE,
                        BandwidthController.INGRESS_REDIRECT_PRIO, 0);
            }
            FilterCodec.writeU32(w, TcMessages.ADD, ch.nextSeq(), dev.index(), QdiscMessages.INGRESS_HANDLE,
                    BandwidthController.INGRESS_REDIRECT_PRIO, Rtnl.ETH_P_ALL, U32Selector.matchAll(), 0, ifb.index());
            ch.execute("ingress redirect " + dev.name() + " -> " + name);
            r.sent += present[0] ? 2 : 1;
            r.changes.add(dev.name() + ": redirect ingress to " + name);
            r.drift += hadIngress ? 1 : 0;
        }
        return ifb;
    }

    private void removeRoot(int ifindex, Report r) {
        TreeState have = observe(ifindex);
        if (have.root() != null && have.root().ours()) {
            QdiscMessages.writeDeleteQdisc(ch.begin(), ch.nextSeq(), ifindex, 0, Rtnl.TC_H_ROOT);
            ch.execute("root qdisc");
            r.sent++;
            r.changes.add("delete our root qdisc");
        }
    }

    private void removeIngress(LinkInfo dev, Report r) {
        boolean[] ours = {false};
        boolean[] others = {false};
        boolean[] ingress = {false};
        dumpAll(() -> QdiscMessages.writeDumpQdiscs(ch.begin(), ch.nextSeq(), dev.index()), "qdiscs", m -> {
            if (m.tcIfindex() == dev.index() && m.tcParent() == Rtnl.TC_H_INGRESS
                    && QdiscMessages.INGRESS.equals(TcObject.decode(m, objScratch).kind())) {
                ingress[0] = true;
            }
        });
        if (ingress[0]) {
            dumpAll(() -> QdiscMessages.writeDumpFilters(ch.begin(), ch.nextSeq(), dev.index(),
                    QdiscMessages.INGRESS_HANDLE), "ingress filters", m -> {
                        FilterInfo f = FilterInfo.decode(m, filterScratch);
                        if (f.prio() == BandwidthController.INGRESS_REDIRECT_PRIO) {
                            ours[0] = true;
                        } else {
                            others[0] = true;
                        }
                    });
            if (!others[0]) {
                // the ingress qdisc only carries our redirect: remove it whole (its filters go with it)
                QdiscMessages.writeDeleteQdisc(ch.begin(), ch.nextSeq(), dev.index(), QdiscMessages.INGRESS_HANDLE,
                        Rtnl.TC_H_INGRESS);
                ch.execute("ingress qdisc on " + dev.name());
                r.sent++;
            } else if (ours[0]) {
                FilterCodec.writeDelete(ch.begin(), ch.nextSeq(), dev.index(), QdiscMessages.INGRESS_HANDLE,
                        BandwidthController.INGRESS_REDIRECT_PRIO, 0);
                ch.execute("ingress redirect on " + dev.name());
                r.sent++;
            }
        }
        Optional<LinkInfo> ifb = links.find(ifbName(dev.index()));
        if (ifb.isPresent() && "ifb".equals(ifb.get().kind())) {
            links.delete(ifb.get());
            r.sent++;
        }
    }

    @Override
    public BandwidthStats stats(String device) {
        BandwidthSpec spec = applied.get(device);
        Integer index = ifindexCache.get(device);
        if (index == null) {
            index = links.find(device)
                    .orElseThrow(() -> new BandwidthSpecException("device", "no interface named '" + device + "'"))
                    .index();
            ifindexCache.put(device, index);
        }
        List<BandwidthStats.ClassCounters> egress = classStats(index, spec == null ? null : spec.egress());
        List<BandwidthStats.ClassCounters> ingress = List.of();
        if (spec != null && spec.ingress() != null) {
            Optional<LinkInfo> ifb = links.find(ifbName(index));
            if (ifb.isPresent()) {
                ingress = classStats(ifb.get().index(), spec.ingress());
            }
        }
        return new BandwidthStats(device, egress, ingress);
    }

    private List<BandwidthStats.ClassCounters> classStats(int ifindex, BandwidthSpec.TreeSpec tree) {
        int ourRoot = BandwidthController.ROOT_MAJOR << 16;
        Map<Integer, String> names = new HashMap<>();
        names.put(BandwidthController.ROOT_CLASS_MINOR, "root");
        if (tree != null) {
            names.put(tree.defaultClass().minor(), "default");
            tree.apps().forEach(a -> names.put(a.minor(), a.app()));
        }
        List<BandwidthStats.ClassCounters> out = new ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            out.clear();
            QdiscMessages.writeDumpClasses(ch.begin(), ch.nextSeq(), ifindex);
            boolean ok = ch.dump("class statistics", m -> {
                TcObject c = TcObject.decode(m, objScratch);
                if ((c.handle() & 0xffff0000) == ourRoot) {
                    int minor = c.handle() & 0xffff;
                    TcObject.Stats s = c.stats();
                    out.add(new BandwidthStats.ClassCounters(names.getOrDefault(minor, "0x" + Integer.toHexString(minor)),
                            minor, s.bytes(), s.packets(), s.drops(), s.overlimits(), s.backlogBytes(), s.qlen()));
                }
            });
            if (ok) {
                break;
            }
        }
        return out;
    }

    @Override
    public void remove(String device) {
        Optional<LinkInfo> dev = links.find(device);
        if (dev.isEmpty()) {
            applied.remove(device);
            return;
        }
        Report r = new Report();
        removeRoot(dev.get().index(), r);
        removeIngress(dev.get(), r);
        applied.remove(device);
        ifindexCache.remove(device);
        changesSent += r.sent;
    }

    @Override
    public Counters counters() {
        return new Counters(applies, changesSent, driftCorrected, foreignRootsSeen, errors);
    }

    /** The channel's own counters (requests, dumps), for the agent's metrics. */
    public RtnetlinkChannel channel() {
        return ch;
    }

    @Override
    public void close() {
        ch.close();
    }
}
