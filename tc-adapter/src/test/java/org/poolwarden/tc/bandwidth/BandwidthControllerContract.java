package org.poolwarden.tc.bandwidth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The assertions every {@link BandwidthController} must pass: run against the fake (in memory) and the real one (a
 * veth pair in a throwaway network namespace). Subclasses provide the controller and hooks that change the kernel
 * behind the controller's back.
 */
abstract class BandwidthControllerContract {
    static final long MBIT = 1_000_000;
    static final long LINK = 1_000 * MBIT;
    static final int WEB = 0x10;
    static final int BATCH = 0x20;
    static final int DEFAULT = SpecValidator.MAX_MINOR;

    BandwidthController controller;

    abstract BandwidthController create() throws Exception;

    /** The pipe interface the tests shape. */
    abstract String device();

    /** Changes one of our classes' rate from outside. */
    abstract void tamperRate(int minor, long rateBits) throws Exception;

    /** Deletes one of our classes from outside. */
    abstract void deleteClassOutside(int minor) throws Exception;

    /** Installs a root qdisc that is not ours. */
    abstract void installForeignRoot() throws Exception;

    /** Someone else's ingress qdisc ({@code ingress} or {@code clsact}) with a u32 filter at {@code filterPrio} (0: none). */
    abstract void installForeignIngress(String kind, int filterPrio) throws Exception;

    /** Someone deletes our ingress redirect. */
    abstract void deleteIngressRedirectOutside() throws Exception;

    /** A class's rate in bits/s as the kernel has it, or -1 when there is no such class under our root. */
    abstract long kernelRate(int minor) throws Exception;

    /** Everything observable about the device's traffic control, to prove a failed call changed nothing. */
    abstract String snapshot() throws Exception;

    @BeforeEach
    void open() throws Exception {
        controller = create();
    }

    @AfterEach
    void close() {
        controller.close();
    }

    static Inet4Address ip(String s) {
        try {
            return (Inet4Address) InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    BandwidthSpec.TreeSpec tree(long webRate, long webCeil) {
        return new BandwidthSpec.TreeSpec(40 * MBIT, new BandwidthSpec.DefaultClass(DEFAULT, 1 * MBIT, 40 * MBIT),
                List.of(new BandwidthSpec.AppClass("web", WEB, webRate, webCeil),
                        new BandwidthSpec.AppClass("batch", BATCH, 10 * MBIT, 40 * MBIT)),
                List.of(new BandwidthSpec.Classifier(10, FlowMatch.dport(6, 5201), WEB),
                        new BandwidthSpec.Classifier(11, FlowMatch.dport(6, 5202), BATCH)));
    }

    BandwidthSpec spec(long webRate, long webCeil) {
        return BandwidthSpec.egressOnly(device(), LINK, tree(webRate, webCeil));
    }

    @Test
    void appliesTheTreeAndReportsEveryClass() throws Exception {
        ApplyReport r = controller.apply(spec(29 * MBIT, 40 * MBIT));
        assertTrue(r.changesSent() >= 1 + 4 + 3 + 2, "root, 4 classes, 3 leaves, 2 filters: " + r.changes());
        assertEquals(0, r.driftCorrected());
        assertEquals(29 * MBIT, kernelRate(WEB));
        assertEquals(10 * MBIT, kernelRate(BATCH));
        assertEquals(40 * MBIT, kernelRate(BandwidthController.ROOT_CLASS_MINOR));
        BandwidthStats s = controller.stats(device());
        assertTrue(s.egress("web").isPresent());
        assertTrue(s.egress("batch").isPresent());
        assertTrue(s.egress("default").isPresent());
        assertTrue(s.egress("root").isPresent());
        assertEquals(4, s.egress().size());
        assertTrue(s.ingress().isEmpty());
    }

    @Test
    void applyingTheSameTreeTwiceSendsNothingTheSecondTime() throws Exception {
        controller.apply(spec(29 * MBIT, 40 * MBIT));
        String before = snapshot();
        ApplyReport again = controller.apply(spec(29 * MBIT, 40 * MBIT));
        assertTrue(again.unchanged(), again.changes().toString());
        assertEquals(before, snapshot());
    }

    @Test
    void aRateChangeTouchesOnlyThatClass() throws Exception {
        controller.apply(spec(29 * MBIT, 40 * MBIT));
        long sentBefore = controller.counters().changesSent();
        ApplyReport r = controller.apply(spec(20 * MBIT, 30 * MBIT));
        assertEquals(1, r.changesSent(), r.changes().toString());
        assertEquals(0, r.driftCorrected());
        assertEquals(sentBefore + 1, controller.counters().changesSent());
        assertEquals(20 * MBIT, kernelRate(WEB));
        assertEquals(10 * MBIT, kernelRate(BATCH));
    }

    @Test
    void driftIsUndoneAndCounted() throws Exception {
        controller.apply(spec(29 * MBIT, 40 * MBIT));
        tamperRate(WEB, 5 * MBIT);
        deleteClassOutside(BATCH);
        assertEquals(5 * MBIT, kernelRate(WEB));
        ApplyReport r = controller.apply(spec(29 * MBIT, 40 * MBIT));
        assertTrue(r.driftCorrected() >= 2, "rate change and deleted class: " + r);
        assertEquals(29 * MBIT, kernelRate(WEB));
        assertEquals(10 * MBIT, kernelRate(BATCH));
        assertEquals(r.driftCorrected(), controller.counters().driftCorrected());
        assertTrue(controller.apply(spec(29 * MBIT, 40 * MBIT)).unchanged());
    }

    /** Asserts that {@code spec} fails with a one-line {@link ForeignObjectException} and changes nothing. */
    ForeignObjectException assertRefused(BandwidthSpec spec, String object) throws Exception {
        String before = snapshot();
        long sent = controller.counters().changesSent();
        ForeignObjectException e = assertThrows(ForeignObjectException.class, () -> controller.apply(spec));
        assertEquals(device(), e.device(), e.getMessage());
        assertTrue(e.getMessage().startsWith(device() + ": " + object), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(before, snapshot(), "a refused apply changed the kernel");
        assertEquals(sent, controller.counters().changesSent());
        return e;
    }

    @Test
    void aForeignRootFailsTheApplyNamingDeviceAndHandleAndChangesNothingUnlessTakingOverIsAllowed() throws Exception {
        installForeignRoot();
        assertRefused(spec(29 * MBIT, 40 * MBIT), "root qdisc ");
        ForeignObjectException e = assertRefused(new BandwidthSpec(device(), LINK, tree(29 * MBIT, 40 * MBIT),
                tree(15 * MBIT, 20 * MBIT), false), "root qdisc ");
        assertTrue(e.object().endsWith(" 1:"), e.object());
        assertEquals(2, controller.counters().foreignRootsSeen());

        BandwidthSpec takeOver = new BandwidthSpec(device(), LINK, tree(29 * MBIT, 40 * MBIT), null, true);
        controller.apply(takeOver);
        assertEquals(29 * MBIT, kernelRate(WEB));
    }

    BandwidthSpec both() {
        return new BandwidthSpec(device(), LINK, tree(29 * MBIT, 40 * MBIT), tree(15 * MBIT, 20 * MBIT), false);
    }

    /** With someone else's ingress qdisc in place: we add our redirect to it, and remove leaves it as it was. */
    void assertSharedIngress(String kind, int foreignFilterPrio) throws Exception {
        installForeignIngress(kind, foreignFilterPrio);
        String before = snapshot();
        ApplyReport r = controller.apply(both());
        assertTrue(r.changes().stream().noneMatch(c -> c.contains("CreateQdisc")), r.changes().toString());
        assertEquals(4, controller.stats(device()).ingress().size());
        assertTrue(controller.apply(both()).unchanged());
        controller.remove(device());
        assertEquals(before, snapshot(), "remove left the foreign " + kind + " qdisc exactly as it was");
    }

    @Test
    void aForeignIngressQdiscWithoutFiltersIsSharedAndStaysAfterRemove() throws Exception {
        assertSharedIngress("ingress", 0);
    }

    @Test
    void aForeignIngressFilterStaysAndOnlyOurRedirectGoes() throws Exception {
        assertSharedIngress("ingress", 5);
    }

    @Test
    void aForeignClsactIsSharedToo() throws Exception {
        assertSharedIngress("clsact", 7);
    }

    @Test
    void aForeignFilterAtOurIngressPriorityFailsTheApplyAndChangesNothing() throws Exception {
        installForeignIngress("ingress", BandwidthController.INGRESS_REDIRECT_PRIO);
        assertRefused(both(), "ingress filter u32 prio " + BandwidthController.INGRESS_REDIRECT_PRIO);
        // an egress-only spec does not need that priority
        controller.apply(spec(29 * MBIT, 40 * MBIT));
    }

    @Test
    void anIngressQdiscWeCreatedGoesWithRemoveEvenAfterOurRedirectWasReplaced() throws Exception {
        String pristine = snapshot();
        controller.apply(both());
        deleteIngressRedirectOutside();
        assertEquals(1, controller.apply(both()).driftCorrected());
        controller.remove(device());
        assertEquals(pristine, snapshot());
    }

    void assertRejected(BandwidthSpec bad, String field) throws Exception {
        String before = snapshot();
        long sent = controller.counters().changesSent();
        BandwidthSpecException e = assertThrows(BandwidthSpecException.class, () -> controller.apply(bad));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
        assertEquals(before, snapshot(), "a rejected spec changed the kernel");
        assertEquals(sent, controller.counters().changesSent());
    }

    @Test
    void badInputNamesTheFieldAndChangesNothing() throws Exception {
        controller.apply(spec(29 * MBIT, 40 * MBIT));
        assertRejected(BandwidthSpec.egressOnly("nosuchdev9", LINK, tree(29 * MBIT, 40 * MBIT)), "device");
        assertRejected(spec(0, 40 * MBIT), "egress.apps[0].rate");
        assertRejected(spec(29 * MBIT, 50 * MBIT), "egress.apps[0].ceil");
        assertRejected(BandwidthSpec.egressOnly(device(), 30 * MBIT, tree(29 * MBIT, 30 * MBIT)), "egress.share");
        Function<Integer, BandwidthSpec> overlapping = minor -> BandwidthSpec.egressOnly(device(), LINK,
                new BandwidthSpec.TreeSpec(40 * MBIT, new BandwidthSpec.DefaultClass(DEFAULT, MBIT, 40 * MBIT),
                        List.of(new BandwidthSpec.AppClass("a", WEB, MBIT, MBIT),
                                new BandwidthSpec.AppClass("b", minor, MBIT, MBIT)), List.of()));
        assertRejected(overlapping.apply(WEB), "egress.apps[1].minor");
        assertRejected(overlapping.apply(DEFAULT), "egress.apps[1].minor");
        assertRejected(overlapping.apply(1), "egress.apps[1].minor");
        assertRejected(overlapping.apply(0x7fff), "egress.apps[1].minor");
        BandwidthSpec badPort = BandwidthSpec.egressOnly(device(), LINK, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(DEFAULT, MBIT, 40 * MBIT), List.of(),
                List.of(new BandwidthSpec.Classifier(1, new FlowMatch(6, null, 0, null, 0, null, 70000), DEFAULT))));
        assertRejected(badPort, "egress.classifiers[0].match");
        BandwidthSpec badPrefix = BandwidthSpec.egressOnly(device(), LINK, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(DEFAULT, MBIT, 40 * MBIT), List.of(),
                List.of(new BandwidthSpec.Classifier(1, FlowMatch.dst(ip("10.77.0.0"), 33), DEFAULT))));
        assertRejected(badPrefix, "egress.classifiers[0].match");
        // and the tree is still exactly as applied
        assertTrue(controller.apply(spec(29 * MBIT, 40 * MBIT)).unchanged());
    }

    @Test
    void ingressGetsItsOwnTreeAndStatistics() throws Exception {
        BandwidthSpec both = both();
        ApplyReport r = controller.apply(both);
        assertTrue(r.changesSent() > 0);
        BandwidthStats s = controller.stats(device());
        assertEquals(4, s.ingress().size(), s.toString());
        assertTrue(s.ingress("web").isPresent());
        assertTrue(controller.apply(both).unchanged(), "ingress reconcile is idempotent too");
    }

    @Test
    void removeTakesAwayEverythingWeMadeAndOnlyThat() throws Exception {
        String pristine = snapshot();
        controller.apply(new BandwidthSpec(device(), LINK, tree(29 * MBIT, 40 * MBIT), tree(15 * MBIT, 20 * MBIT), false));
        assertFalse(pristine.equals(snapshot()));
        controller.remove(device());
        assertEquals(pristine, snapshot());
        assertEquals(-1, kernelRate(WEB));
    }

    @Test
    void droppingTheIngressTreeRemovesTheRedirect() throws Exception {
        String egressOnly;
        controller.apply(spec(29 * MBIT, 40 * MBIT));
        egressOnly = snapshot();
        controller.apply(new BandwidthSpec(device(), LINK, tree(29 * MBIT, 40 * MBIT), tree(15 * MBIT, 20 * MBIT), false));
        controller.apply(spec(29 * MBIT, 40 * MBIT));
        assertEquals(egressOnly, snapshot());
    }
}
