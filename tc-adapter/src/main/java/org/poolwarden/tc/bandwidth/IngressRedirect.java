package org.poolwarden.tc.bandwidth;

import java.util.ArrayList;
import java.util.List;

import org.poolwarden.tc.filter.FilterCodec;
import org.poolwarden.tc.filter.FilterInfo;
import org.poolwarden.tc.netlink.TcMessages;

/**
 * Who owns what on a device's ingress hook, and what to send to redirect it to our IFB or to take the redirect
 * away again. Pure: the real controller feeds it dumps, the fake its memory.
 *
 * <p>The kernel keeps the record of ownership, so a restarted (or SIGKILLed) agent reads it back: our redirect is
 * the u32 node at {@link BandwidthController#INGRESS_REDIRECT_PRIO} whose node id (the low 12 bits of the handle,
 * which we choose; the kernel picks ids from 0x800 up) is {@link #OWNED_NODE} when we created the ingress qdisc
 * ourselves, {@link #SHARED_NODE} when it was there before us. Only an ingress qdisc whose one filter is an
 * {@code OWNED_NODE} redirect is ever deleted. We create the qdisc and the redirect in one datagram, which the
 * kernel handles within one sendmsg, so a kill -9 cannot leave our qdisc without the filter that marks it ours.
 * An ingress qdisc without our redirect (ours, its filter deleted from outside) counts as someone else's: at worst
 * an empty ingress qdisc is left behind, never a foreign one removed.
 */
public final class IngressRedirect {
    /** Node id of a redirect on an ingress qdisc we created: "800::1" in tc's notation. */
    public static final int OWNED_NODE = 0x1;
    /** Node id of a redirect we added to an ingress qdisc that was already there: "800::2". */
    public static final int SHARED_NODE = 0x2;
    public static final String INGRESS = "ingress";
    /** clsact also sits at ffff:fff1; its ingress filters hang off ffff:fff2. */
    public static final String CLSACT = "clsact";
    static final int CLSACT_INGRESS_PARENT = 0xFFFFFFF2;
    static final int INGRESS_PARENT = 0xFFFF0000;

    private IngressRedirect() {
    }

    /**
     * The ingress hook of one device: {@code qdiscKind} of the qdisc at ffff:fff1 (null: none) and every filter
     * entry the kernel dumps under it (u32 lists its hash tables too: {@link FilterInfo#node()} false).
     */
    public record State(String qdiscKind, List<FilterInfo> filters) {
        public State {
            filters = List.copyOf(filters);
        }

        public static final State NONE = new State(null, List.of());
    }

    /** One change to the ingress hook. */
    public sealed interface Op {
    }

    /** "tc qdisc add dev D ingress". */
    public record CreateQdisc() implements Op {
    }

    /** Our u32 match-all + mirred redirect to the IFB, with the node id that says who owns the qdisc. */
    public record AddRedirect(int node, int ifbIndex) implements Op {
    }

    /** Deletes our redirect: the whole tc filter priority when {@code handle} is 0, else just that u32 node. */
    public record DeleteRedirect(int handle) implements Op {
    }

    /** Deletes the ingress qdisc (and with it our redirect): only when we created it and nobody else uses it. */
    public record DeleteQdisc() implements Op {
    }

    /** Whether {@code f} is a redirect of ours. */
    public static boolean ours(FilterInfo f) {
        int node = f.handle() & 0xfff;
        return f.prio() == BandwidthController.INGRESS_REDIRECT_PRIO && FilterCodec.U32.equals(f.kind()) && f.node()
                && (f.handle() & 0xff000) == 0 && (node == OWNED_NODE || node == SHARED_NODE);
    }

    /** The parent our filters go under: ffff: on an ingress qdisc, ffff:fff2 on clsact. */
    public static int filterParent(String qdiscKind) {
        return CLSACT.equals(qdiscKind) ? CLSACT_INGRESS_PARENT : INGRESS_PARENT;
    }

    /**
     * Throws {@link ForeignObjectException} when a filter that is not ours holds our priority (we would have to
     * replace it, or the kernel would refuse ours). Call before changing anything.
     */
    public static void check(String device, State s) {
        for (FilterInfo f : s.filters()) {
            if (foreignAtOurPrio(f)) {
                throw new ForeignObjectException(device, "ingress filter " + f.kind() + " prio "
                        + BandwidthController.INGRESS_REDIRECT_PRIO + " handle " + TcMessages.format(f.handle()),
                        "poolwarden's ingress redirect needs that priority");
            }
        }
    }

    /**
     * What makes the device's ingress go to the IFB at {@code ifbIndex}; empty when it already does.
     * {@code createdByUs}: this instance created the ingress qdisc (so a redirect it re-adds after an outside
     * deletion still marks the qdisc as ours).
     */
    public static List<Op> ensure(String device, State s, int ifbIndex, boolean createdByUs) {
        check(device, s);
        if (s.qdiscKind() == null) {
            return List.of(new CreateQdisc(), new AddRedirect(OWNED_NODE, ifbIndex));
        }
        List<FilterInfo> ours = ours(s);
        if (ours.size() == 1 && ours.get(0).redirectIfindex() == ifbIndex) {
            return List.of();
        }
        boolean owned = createdByUs && INGRESS.equals(s.qdiscKind())
                || ours.stream().anyMatch(f -> (f.handle() & 0xfff) == OWNED_NODE);
        List<Op> ops = new ArrayList<>();
        if (!ours.isEmpty()) {
            ops.add(new DeleteRedirect(0)); // check() made sure the priority holds nothing but ours
        }
        ops.add(new AddRedirect(owned ? OWNED_NODE : SHARED_NODE, ifbIndex));
        return ops;
    }

    /** What takes our redirect away and, when we created the ingress qdisc and nobody else uses it, the qdisc. */
    public static List<Op> remove(State s) {
        List<FilterInfo> ours = ours(s);
        if (s.qdiscKind() == null || ours.isEmpty()) {
            return List.of();
        }
        boolean owned = ours.stream().anyMatch(f -> (f.handle() & 0xfff) == OWNED_NODE);
        boolean othersAtOurPrio = s.filters().stream().anyMatch(IngressRedirect::foreignAtOurPrio);
        boolean others = othersAtOurPrio
                || s.filters().stream().anyMatch(f -> f.prio() != BandwidthController.INGRESS_REDIRECT_PRIO);
        if (owned && !others && INGRESS.equals(s.qdiscKind())) {
            return List.of(new DeleteQdisc());
        }
        if (!othersAtOurPrio) {
            // the whole priority, so u32 leaves no empty hash table of ours behind
            return List.of(new DeleteRedirect(0));
        }
        List<Op> ops = new ArrayList<>();
        for (FilterInfo f : ours) {
            ops.add(new DeleteRedirect(f.handle()));
        }
        return ops;
    }

    private static List<FilterInfo> ours(State s) {
        return s.filters().stream().filter(IngressRedirect::ours).toList();
    }

    /** A filter at our priority that is not ours (u32's hash-table entries are not filters). */
    private static boolean foreignAtOurPrio(FilterInfo f) {
        return f.prio() == BandwidthController.INGRESS_REDIRECT_PRIO && !ours(f)
                && !(FilterCodec.U32.equals(f.kind()) && !f.node());
    }
}
