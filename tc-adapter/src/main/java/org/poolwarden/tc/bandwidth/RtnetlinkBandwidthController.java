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
    /** Devices whose ingress qdisc this instance created (its marker may have been deleted from outside since). */
    private final java.util.Set<Integer> ingressCreated = new java.util.HashSet<>();

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
        boolean hadEgress = last != null && last.egress() != null;
        boolean hadIngress = last != null && last.ingress() != null;
        try {
            // Read and check everything that could refuse first: a refused apply has changed nothing.
            TreeState egress = spec.egress() != null || hadEgress ? observe(dev.index()) : null;
            if (spec.egress() != null) {
                checkRoot(dev.name(), egress.root(), spec.takeOverForeignRoot());
            }
            Optional<LinkInfo> ifb = Optional.empty();
            IngressRedirect.State ingress = null;
            if (spec.ingress() != null) {
                ifb = links.find(ifbName(dev.index()));
                if (ifb.isPresent() && !"ifb".equals(ifb.get().kind())) {
                    throw new ForeignObjectException(dev.name(), "interface " + ifb.get().name() + " (a "
                            + ifb.get().kind() + ")", "that name is reserved for poolwarden's IFB of " + dev.name());
                }
                ingress = observeIngress(dev.index());
                IngressRedirect.check(dev.name(), ingress);
            }
            if (spec.egress() != null) {
                reconcileTree(dev.index(), dev.name(), egress, spec.egress(), hadEgress ? last.egress() : null, r);
            } else if (hadEgress) {
                removeRoot(dev.index(), egress, r);
            }
            if (spec.ingress() != null) {
                LinkInfo l = ensureIngressRedirect(dev, ifb, ingress, r, hadIngress);
                // the IFB is ours: whatever root it has is replaced
                reconcileTree(l.index(), l.name(), observe(l.index()), spec.ingress(), hadIngress ? last.ingress() : null, r);
            } else if (hadIngress) {
                removeIngress(dev, r);
            }
        } catch (ForeignObjectException e) {
            errors++;
            throw e;
        } catch (KernelException e) {
            errors++;
            applied.remove(spec.device());
            throw e;
        }
        applied.put(spec.device(), spec);
        changesSent += r.sent;
        driftCorrected += r.drift;
        return new ApplyReport(r.sent, r.drift, r.changes);
    }

    /** A root qdisc that is neither ours nor the kernel's default is refused, unless the spec says to take it. */
    private void checkRoot(String ifname, TreeState.RootQdisc root, boolean takeOver) {
        if (root != null && !root.ours() && !root.kernelDefault() && !takeOver) {
            foreignRootsSeen++;
            throw new ForeignObjectException(ifname, "root qdisc " + root.kind() + " " + TcMessages.format(root.handle()),
                    "poolwarden's tree needs root handle " + Integer.toHexString(BandwidthController.ROOT_MAJOR)
                            + ": (set takeOverForeignRoot to replace it)");
        }
    }

    private final class Report {
        int sent;
        int drift;
        final List<String> changes = new ArrayList<>();
    }

    /** Sends what turns {@code have} into {@code tree}; the caller has checked that the root may be replaced. */
    private void reconcileTree(int ifindex, String ifname, TreeState have, BandwidthSpec.TreeSpec tree,
                               BandwidthSpec.TreeSpec lastTree, Report r) {
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

    /** The qdisc on the device's ingress hook (ffff:fff1) and every filter entry under it. */
    IngressRedirect.State observeIngress(int ifindex) {
        String[] kind = {null};
        dumpAll(() -> QdiscMessages.writeDumpQdiscs(ch.begin(), ch.nextSeq(), ifindex), () -> kind[0] = null, "qdiscs",
                m -> {
                    if (m.tcIfindex() == ifindex && m.tcParent() == Rtnl.TC_H_INGRESS) {
                        kind[0] = TcObject.decode(m, objScratch).kind();
                    }
                });
        if (kind[0] == null) {
            return IngressRedirect.State.NONE;
        }
        List<FilterInfo> filters = new ArrayList<>();
        dumpAll(() -> QdiscMessages.writeDumpFilters(ch.begin(), ch.nextSeq(), ifindex,
                IngressRedirect.filterParent(kind[0])), filters::clear, "ingress filters", m -> {
                    if (m.tcIfindex() == ifindex) {
                        filters.add(FilterInfo.decode(m, filterScratch));
                    }
                });
        return new IngressRedirect.State(kind[0], filters);
    }

    /**
     * The IFB (created and brought up when missing) and our redirect to it on the device's ingress hook. The
     * caller has found the IFB (if any) and checked {@code ingress} for foreign filters at our priority.
     */
    private LinkInfo ensureIngressRedirect(LinkInfo dev, Optional<LinkInfo> found, IngressRedirect.State ingress,
                                           Report r, boolean hadIngress) {
        String name = ifbName(dev.index());
        LinkInfo ifb;
        if (found.isEmpty()) {
            ifb = links.createIfb(name);
            r.sent++;
            r.changes.add(name + ": create ifb");
            r.drift += hadIngress ? 1 : 0;
        } else {
            ifb = found.get();
        }
        if (!ifb.up()) {
            links.setUp(ifb, true);
            r.sent++;
            r.changes.add(name + ": set up");
            r.drift += found.isPresent() && hadIngress ? 1 : 0;
        }
        List<IngressRedirect.Op> ops = IngressRedirect.ensure(dev.name(), ingress, ifb.index(),
                ingressCreated.contains(dev.index()));
        if (!ops.isEmpty()) {
            sendIngress(dev, ingress, ops, "ingress redirect " + dev.name() + " -> " + name);
            r.sent += ops.size();
            r.changes.add(dev.name() + ": " + ops);
            r.drift += hadIngress ? 1 : 0;
        }
        return ifb;
    }

    /**
     * Sends {@code ops} in one datagram. Creating the ingress qdisc and adding the redirect that marks it ours thus
     * happen within one sendmsg (kill -9 cannot come between them); if the kernel refuses the redirect, the qdisc
     * just created is taken away again.
     */
    private void sendIngress(LinkInfo dev, IngressRedirect.State before, List<IngressRedirect.Op> ops, String target) {
        int parent = IngressRedirect.filterParent(before.qdiscKind() == null ? IngressRedirect.INGRESS : before.qdiscKind());
        NetlinkWriter w = ch.begin();
        boolean creates = false;
        for (IngressRedirect.Op op : ops) {
            if (op instanceof IngressRedirect.CreateQdisc) {
                QdiscMessages.writeIngressQdisc(w, TcMessages.ADD, ch.nextSeq(), dev.index());
                creates = true;
            } else if (op instanceof IngressRedirect.AddRedirect a) {
                FilterCodec.writeU32(w, TcMessages.ADD, ch.nextSeq(), dev.index(), parent,
                        BandwidthController.INGRESS_REDIRECT_PRIO, Rtnl.ETH_P_ALL, a.node(), U32Selector.matchAll(), 0,
                        a.ifbIndex());
            } else if (op instanceof IngressRedirect.DeleteRedirect d) {
                FilterCodec.writeDelete(w, ch.nextSeq(), dev.index(), parent, BandwidthController.INGRESS_REDIRECT_PRIO,
                        0, d.handle());
            } else if (op instanceof IngressRedirect.DeleteQdisc) {
                QdiscMessages.writeDeleteQdisc(w, ch.nextSeq(), dev.index(), QdiscMessages.INGRESS_HANDLE,
                        Rtnl.TC_H_INGRESS);
                ingressCreated.remove(dev.index());
            }
        }
        try {
            ch.execute(target);
            if (creates) {
                ingressCreated.add(dev.index());
            }
        } catch (KernelException e) {
            if (creates) {
                IngressRedirect.State now = observeIngress(dev.index());
                if (IngressRedirect.INGRESS.equals(now.qdiscKind()) && now.filters().isEmpty()) {
                    QdiscMessages.writeDeleteQdisc(ch.begin(), ch.nextSeq(), dev.index(), QdiscMessages.INGRESS_HANDLE,
                            Rtnl.TC_H_INGRESS);
                    try {
                        ch.execute("undo ingress qdisc on " + dev.name());
                    } catch (KernelException undo) {
                        e.addSuppressed(undo);
                    }
                }
            }
            throw e;
        }
    }

    private void removeRoot(int ifindex, TreeState have, Report r) {
        if (have.root() != null && have.root().ours()) {
            // with our handle named, the kernel refuses (EINVAL) should the root have been replaced since we looked
            QdiscMessages.writeDeleteQdisc(ch.begin(), ch.nextSeq(), ifindex, BandwidthController.ROOT_MAJOR << 16,
                    Rtnl.TC_H_ROOT);
            ch.execute("root qdisc");
            r.sent++;
            r.changes.add("delete our root qdisc");
        }
    }

    /** Our redirect (and the ingress qdisc, if we made it and nobody else uses it) and our IFB. */
    private void removeIngress(LinkInfo dev, Report r) {
        IngressRedirect.State s = observeIngress(dev.index());
        List<IngressRedirect.Op> ops = IngressRedirect.remove(s);
        if (!ops.isEmpty()) {
            sendIngress(dev, s, ops, "ingress redirect on " + dev.name());
            r.sent += ops.size();
            r.changes.add(dev.name() + ": " + ops);
        }
        Optional<LinkInfo> ifb = links.find(ifbName(dev.index()));
        if (ifb.isPresent() && "ifb".equals(ifb.get().kind())) {
            links.delete(ifb.get());
            r.sent++;
            r.changes.add(ifb.get().name() + ": delete");
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
        removeRoot(dev.get().index(), observe(dev.get().index()), r);
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
