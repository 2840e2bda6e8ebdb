package org.poolwarden.tc.probe;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.poolwarden.os.KernelException;
import org.poolwarden.os.Native;
import org.poolwarden.os.Netns;
import org.poolwarden.tc.filter.FilterCodec;
import org.poolwarden.tc.filter.U32Selector;
import org.poolwarden.tc.htb.HtbClassOptions;
import org.poolwarden.tc.htb.Psched;
import org.poolwarden.tc.link.LinkInfo;
import org.poolwarden.tc.link.Links;
import org.poolwarden.tc.netlink.Rtnl;
import org.poolwarden.tc.netlink.RtnetlinkChannel;
import org.poolwarden.tc.netlink.TcMessages;
import org.poolwarden.tc.qdisc.QdiscMessages;

/**
 * Finds out which traffic-control features work, by using each of them for real inside a scratch network namespace
 * that the kernel frees afterwards (nothing on the host is touched). For {@code poolwarden doctor}.
 */
public final class TcProbe {
    static final String IFB_NAME = "pwprobe0";
    static final int ROOT = TcMessages.handle(1, 0);
    static final int CLASS = TcMessages.handle(1, 1);

    private TcProbe() {
    }

    /** Probes every feature; never throws for a missing feature (it is reported with its reason). */
    public static TcSupport probe() {
        if (!Native.isAvailable()) {
            return allFailed("libc not loadable: " + Native.unavailabilityCause());
        }
        if (!Native.isRoot()) {
            return allFailed("not running as root (CAP_NET_ADMIN is needed to change traffic control)");
        }
        try {
            return Netns.callInScratch(TcProbe::probeHere);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return allFailed("interrupted");
        } catch (RuntimeException e) {
            return allFailed("scratch network namespace unusable: " + e.getMessage());
        }
    }

    /** Probes in the calling thread's namespace, which must be a scratch one (it creates objects on lo). */
    static TcSupport probeHere() {
        try (RtnetlinkChannel ch = RtnetlinkChannel.open()) {
            Links links = new Links(ch);
            LinkInfo lo = links.require("lo");
            Psched psched = Psched.system();

            TcSupport.Feature htb = attempt("htb", () -> {
                QdiscMessages.writeHtbQdisc(ch.begin(), TcMessages.ADD, ch.nextSeq(), lo.index(), ROOT, Rtnl.TC_H_ROOT,
                        10, 1);
                ch.execute("htb qdisc on lo");
                QdiscMessages.writeHtbClass(ch.begin(), TcMessages.ADD, ch.nextSeq(), lo.index(), CLASS, ROOT,
                        HtbClassOptions.of(125_000, 125_000), 10, psched);
                ch.execute("htb class 1:1 on lo");
            });
            TcSupport.Feature ingress = attempt("ingress qdisc", () -> {
                QdiscMessages.writeIngressQdisc(ch.begin(), TcMessages.ADD, ch.nextSeq(), lo.index());
                ch.execute("ingress qdisc on lo");
            });
            int[] ifbIndex = {0};
            TcSupport.Feature ifb = attempt("ifb", () -> {
                LinkInfo dev = links.createIfb(IFB_NAME);
                links.setUp(dev, true);
                ifbIndex[0] = dev.index();
            });
            // Filters need a classful parent: HTB when it works, else the ingress qdisc.
            int parent = htb.works() ? ROOT : ingress.works() ? QdiscMessages.INGRESS_HANDLE : 0;
            String noParent = "no qdisc to attach a filter to (htb and ingress both failed)";
            TcSupport.Feature u32 = parent == 0 ? TcSupport.Feature.failed("u32", noParent) : attempt("u32", () -> {
                U32Selector sel = U32Selector.create().protocol(6).dst(ipv4("10.77.0.2"), 32).dport(5201, 0xffff);
                FilterCodec.writeU32(ch.begin(), TcMessages.ADD, ch.nextSeq(), lo.index(), parent, 1, Rtnl.ETH_P_IP,
                        sel, CLASS, 0);
                ch.execute("u32 filter on lo");
            });
            TcSupport.Feature bpf = parent == 0 ? TcSupport.Feature.failed("cls_bpf", noParent) : attempt("cls_bpf", () -> {
                FilterCodec.writeClassicBpf(ch.begin(), TcMessages.ADD, ch.nextSeq(), lo.index(), parent, 2,
                        Rtnl.ETH_P_ALL, FilterCodec.acceptAll(), CLASS);
                ch.execute("classic bpf filter on lo");
            });
            TcSupport.Feature mirred;
            if (!ingress.works() || !ifb.works() || !u32.works()) {
                mirred = TcSupport.Feature.failed("mirred", "needs the ingress qdisc, an ifb device and u32, and "
                        + "one of them failed");
            } else {
                mirred = attempt("mirred", () -> {
                    FilterCodec.writeU32(ch.begin(), TcMessages.ADD, ch.nextSeq(), lo.index(),
                            QdiscMessages.INGRESS_HANDLE, 1, Rtnl.ETH_P_ALL, U32Selector.matchAll(), 0, ifbIndex[0]);
                    ch.execute("mirred redirect lo -> " + IFB_NAME);
                });
            }
            return new TcSupport(htb, ifb, ingress, bpf, u32, mirred);
        }
    }

    private interface Step {
        void run();
    }

    private static TcSupport.Feature attempt(String name, Step step) {
        try {
            step.run();
            return TcSupport.Feature.ok(name);
        } catch (KernelException e) {
            return TcSupport.Feature.failed(name, e.getMessage());
        }
    }

    private static TcSupport allFailed(String reason) {
        return new TcSupport(TcSupport.Feature.failed("htb", reason), TcSupport.Feature.failed("ifb", reason),
                TcSupport.Feature.failed("ingress qdisc", reason), TcSupport.Feature.failed("cls_bpf", reason),
                TcSupport.Feature.failed("u32", reason), TcSupport.Feature.failed("mirred", reason));
    }

    static Inet4Address ipv4(String literal) {
        try {
            return (Inet4Address) InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
