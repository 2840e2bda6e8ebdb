package org.poolwarden.tc.bandwidth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FakeBandwidthControllerTest extends BandwidthControllerContract {
    FakeBandwidthController fake;

    @Override
    BandwidthController create() {
        fake = new FakeBandwidthController().addDevice("pipe0");
        return fake;
    }

    @Override
    String device() {
        return "pipe0";
    }

    @Override
    void tamperRate(int minor, long rateBits) {
        fake.tamperRate(device(), minor, rateBits);
    }

    @Override
    void deleteClassOutside(int minor) {
        fake.deleteClass(device(), minor);
    }

    @Override
    void installForeignRoot() {
        fake.installForeignRoot(device(), "tbf");
    }

    @Override
    void installForeignIngress(String kind, int filterPrio) {
        fake.installForeignIngress(device(), kind, filterPrio);
    }

    @Override
    void deleteIngressRedirectOutside() {
        fake.deleteIngressFilters(device(), BandwidthController.INGRESS_REDIRECT_PRIO);
    }

    @Override
    long kernelRate(int minor) {
        return fake.classRate(device(), minor);
    }

    @Override
    String snapshot() {
        return fake.snapshot();
    }

    @Test
    void countersReachStatistics() {
        controller.apply(spec(29 * MBIT, 40 * MBIT));
        fake.count(device(), WEB, 15_000, 10);
        assertEquals(15_000, controller.stats(device()).egress("web").orElseThrow().bytes());
        assertEquals(10, controller.stats(device()).egress("web").orElseThrow().packets());
    }
}
