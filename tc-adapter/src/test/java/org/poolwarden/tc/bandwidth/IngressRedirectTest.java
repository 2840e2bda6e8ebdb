package org.poolwarden.tc.bandwidth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.poolwarden.tc.filter.FilterInfo;

/** Ownership on the ingress hook, decided from what the kernel dumps: the whole table of cases. */
class IngressRedirectTest {
    static final int PRIO = BandwidthController.INGRESS_REDIRECT_PRIO;
    static final int IFB = 9;

    /** A u32 node as dumped: {@code handle} as the kernel reports it (hash table id in the top 12 bits). */
    static FilterInfo u32(int prio, int handle, int redirect) {
        return new FilterInfo(prio, 3, handle, "u32", true, List.of(), 0, redirect);
    }

    /** The hash-table entry u32 dumps ahead of its nodes. */
    static FilterInfo ht(int prio, int handle) {
        return new FilterInfo(prio, 3, handle, "u32", false, List.of(), 0, 0);
    }

    static IngressRedirect.State state(String kind, FilterInfo... f) {
        return new IngressRedirect.State(kind, List.of(f));
    }

    static final FilterInfo OWNED = u32(PRIO, 0x80000001, IFB);
    static final FilterInfo SHARED = u32(PRIO, 0x80100002, IFB); // table 801: when a foreign u32 came first
    static final FilterInfo FOREIGN = u32(5, 0x80000800, 0);

    @Test
    void ourRedirectIsRecognisedByItsNodeIdWhateverTableTheKernelGaveIt() {
        assertTrue(IngressRedirect.ours(OWNED));
        assertTrue(IngressRedirect.ours(SHARED));
        assertTrue(!IngressRedirect.ours(u32(PRIO, 0x80000800, IFB)), "an id the kernel picked is not ours");
        assertTrue(!IngressRedirect.ours(u32(PRIO + 1, 0x80000001, IFB)), "another priority is not ours");
        assertTrue(!IngressRedirect.ours(u32(PRIO, 0x80001001, IFB)), "another hash bucket is not ours");
        assertTrue(!IngressRedirect.ours(ht(PRIO, 0x80000000)));
        assertTrue(!IngressRedirect.ours(new FilterInfo(PRIO, 3, 1, "bpf", true, List.of(), 0, IFB)));
    }

    @Test
    void ensure() {
        record Case(String what, IngressRedirect.State s, boolean created, List<IngressRedirect.Op> want) {
        }
        var add = (java.util.function.IntFunction<IngressRedirect.Op>) n -> new IngressRedirect.AddRedirect(n, IFB);
        List<Case> cases = new ArrayList<>(List.of(
                new Case("no qdisc: create it and mark it ours, together", IngressRedirect.State.NONE, false,
                        List.of(new IngressRedirect.CreateQdisc(), add.apply(IngressRedirect.OWNED_NODE))),
                new Case("a foreign filterless qdisc: share it", state("ingress"), false,
                        List.of(add.apply(IngressRedirect.SHARED_NODE))),
                new Case("a foreign qdisc with a filter: share it", state("ingress", ht(5, 0x80000000), FOREIGN), false,
                        List.of(add.apply(IngressRedirect.SHARED_NODE))),
                new Case("clsact: share it", state("clsact"), false, List.of(add.apply(IngressRedirect.SHARED_NODE))),
                new Case("ours, in place", state("ingress", ht(PRIO, 0x80000000), OWNED), false, List.of()),
                new Case("shared, in place", state("ingress", FOREIGN, ht(PRIO, 0x80100000), SHARED), false, List.of()),
                new Case("ours to an old IFB: replaced, still marked ours",
                        state("ingress", u32(PRIO, 0x80000001, 4)), false,
                        List.of(new IngressRedirect.DeleteRedirect(0), add.apply(IngressRedirect.OWNED_NODE))),
                new Case("our redirect deleted from outside, qdisc made by this instance: ours again",
                        state("ingress", ht(PRIO, 0x80000000)), true, List.of(add.apply(IngressRedirect.OWNED_NODE))),
                new Case("... by an earlier instance: we cannot tell, so it is shared", state("ingress"), false,
                        List.of(add.apply(IngressRedirect.SHARED_NODE)))));
        for (Case c : cases) {
            assertEquals(c.want(), IngressRedirect.ensure("pipe0", c.s(), IFB, c.created()), c.what());
        }
    }

    @Test
    void aForeignFilterAtOurPriorityIsRefusedWithOneLine() {
        for (FilterInfo f : List.of(u32(PRIO, 0x80000800, 0), new FilterInfo(PRIO, 3, 1, "bpf", true, List.of(), 0, 0))) {
            ForeignObjectException e = assertThrows(ForeignObjectException.class,
                    () -> IngressRedirect.ensure("pipe0", state("ingress", f, OWNED), IFB, false));
            assertEquals("pipe0", e.device());
            assertTrue(e.getMessage().startsWith("pipe0: ingress filter " + f.kind() + " prio " + PRIO + " handle "),
                    e.getMessage());
        }
    }

    @Test
    void remove() {
        record Case(String what, IngressRedirect.State s, List<IngressRedirect.Op> want) {
        }
        List<Case> cases = List.of(
                new Case("nothing there", IngressRedirect.State.NONE, List.of()),
                new Case("a foreign filterless qdisc without our redirect: untouched", state("ingress"), List.of()),
                new Case("a foreign qdisc and filter: untouched", state("ingress", FOREIGN), List.of()),
                new Case("our qdisc with only our redirect: the qdisc goes", state("ingress", ht(PRIO, 0x80000000), OWNED),
                        List.of(new IngressRedirect.DeleteQdisc())),
                new Case("a foreign filterless qdisc we shared: only our priority goes",
                        state("ingress", ht(PRIO, 0x80000000), u32(PRIO, 0x80000002, IFB)),
                        List.of(new IngressRedirect.DeleteRedirect(0))),
                new Case("our qdisc, a foreign filter added since: the qdisc stays",
                        state("ingress", ht(5, 0x80000000), FOREIGN, ht(PRIO, 0x80100000), u32(PRIO, 0x80100001, IFB)),
                        List.of(new IngressRedirect.DeleteRedirect(0))),
                new Case("a foreign node at our priority: just our node goes",
                        state("ingress", OWNED, u32(PRIO, 0x80000800, 0)),
                        List.of(new IngressRedirect.DeleteRedirect(0x80000001))),
                new Case("clsact is never ours", state("clsact", OWNED), List.of(new IngressRedirect.DeleteRedirect(0))));
        for (Case c : cases) {
            assertEquals(c.want(), IngressRedirect.remove(c.s()), c.what());
        }
    }

    @Test
    void filtersGoUnderFfffOnIngressAndFfffFff2OnClsact() {
        assertEquals(0xFFFF0000, IngressRedirect.filterParent("ingress"));
        assertEquals(0xFFFFFFF2, IngressRedirect.filterParent("clsact"));
    }
}
