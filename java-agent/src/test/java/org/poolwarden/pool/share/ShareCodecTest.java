package org.poolwarden.pool.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.poolwarden.pool.policy.VersionedPolicy;

class ShareCodecTest {

    @Test
    void demandRoundTripsIncludingValuesTheAllocatorMustReject() {
        for (double v : new double[] {0, 1.5, -1, Double.NaN, Double.POSITIVE_INFINITY, 1e300}) {
            PipeDemandEntry d = new PipeDemandEntry("wan", 123456789L, v, 7, 3);
            PipeDemandEntry back = assertDoesNotThrow(() -> ShareCodec.decodeDemand("wan", ShareCodec.encodeDemand(d)));
            assertEquals(d, back);
        }
        for (double v : new double[] {0, 2.5e6, -1, Double.NaN, 1e300}) {
            PipeDemandEntry d = new PipeDemandEntry("wan", 5, 1, 7, 3, v);
            assertEquals(d, assertDoesNotThrow(() -> ShareCodec.decodeDemand("wan", ShareCodec.encodeDemand(d))));
        }
        assertEquals(ShareCodec.DEMAND_BOOKING_BYTES,
                ShareCodec.encodeDemand(new PipeDemandEntry("w", 0, 0, 0, 1, 9)).length);
    }

    @Test
    void theBookingIsLeftOutWhenItEqualsTheBookedBytes() throws Exception {
        // most hosts book nothing (booked = booking = 0), booked classes are often backlogged (booked = booking):
        // their entries keep the short form, which the exchange spreads faster (more entries per packet)
        for (double[] bb : new double[][] {{0, 0}, {4_000, 4_000}, {Double.NaN, Double.NaN}}) {
            PipeDemandEntry d = new PipeDemandEntry("w", 3, bb[0], 70, 2, bb[1]);
            byte[] v = ShareCodec.encodeDemand(d);
            assertEquals(ShareCodec.DEMAND_BYTES, v.length, "short form for booked = booking = " + bb[0]);
            assertEquals(d, ShareCodec.decodeDemand("w", v));
        }
        // a booking above what is queued under it (an idle booked class) must travel, or silent peers reserve less
        PipeDemandEntry idle = new PipeDemandEntry("w", 3, 0, 70, 2, 6_250);
        byte[] v = ShareCodec.encodeDemand(idle);
        assertEquals(ShareCodec.DEMAND_BOOKING_BYTES, v.length);
        assertEquals(idle, ShareCodec.decodeDemand("w", v));
    }

    @Test
    void aDemandValueWithoutTheBookingDecodesWithItsBookedBytesAsBooking() throws Exception {
        // an agent from before the booking field: what it was reserved then (its last booked bytes) stays
        byte[] v = ShareCodec.encodeDemand(new PipeDemandEntry("w", 9, 1234, 50, 2, 99_999));
        PipeDemandEntry old = ShareCodec.decodeDemand("w", java.util.Arrays.copyOf(v, ShareCodec.DEMAND_BYTES));
        assertEquals(new PipeDemandEntry("w", 9, 1234, 50, 2, 1234), old);
        // and a longer tail from a newer agent is skipped
        byte[] longer = java.util.Arrays.copyOf(v, v.length + 5);
        assertEquals(99_999, ShareCodec.decodeDemand("w", longer).bookingBytes());
    }

    @Test
    void policyRoundTripsAndTombstonesHaveNoBody() throws Exception {
        VersionedPolicy p = VersionedPolicy.set("pipe/wan/web", 42, "7", "percent=30.0;priority=2");
        assertEquals(p, ShareCodec.decodePolicy("pipe/wan/web", ShareCodec.encodePolicy(p)));
        VersionedPolicy d = VersionedPolicy.delete("cpu/web", 3, "1");
        assertEquals(d, ShareCodec.decodePolicy("cpu/web", ShareCodec.encodePolicy(d)));
    }

    @Test
    void framingErrorsAreNamed() {
        byte[] ok = ShareCodec.encodeDemand(new PipeDemandEntry("w", 1, 1, 1, 1));
        byte[] shortOne = java.util.Arrays.copyOf(ok, ShareCodec.DEMAND_BYTES - 1);
        assertTrue(assertThrows(MalformedShareValueException.class, () -> ShareCodec.decodeDemand("w", shortOne))
                .getMessage().contains("needs " + ShareCodec.DEMAND_BYTES));
        byte[] policyAsDemand = ShareCodec.encodePolicy(VersionedPolicy.set("k", 1, "1", "x=1"));
        assertTrue(assertThrows(MalformedShareValueException.class, () -> ShareCodec.decodeDemand("w", policyAsDemand))
                .getMessage().contains("type 2, expected 1"));
        byte[] noVersionZero = ShareCodec.encodePolicy(VersionedPolicy.set("k", 1, "1", "x=1"));
        noVersionZero[2] = (byte) 0x80; // negative version
        assertThrows(MalformedShareValueException.class, () -> ShareCodec.decodePolicy("k", noVersionZero));
        assertThrows(IllegalArgumentException.class,
                () -> ShareCodec.encodePolicy(VersionedPolicy.set("k", 1, "1", "x".repeat(2000))));
    }

    @Property(tries = 3000)
    void decodingArbitraryBytesNeverThrowsAnythingElse(@ForAll @Size(max = 80) byte[] v) {
        for (byte type : new byte[] {1, 2}) {
            byte[] x = v.clone();
            if (x.length > 0) {
                x[0] = type;
            }
            try {
                ShareCodec.decodeDemand("w", x);
            } catch (MalformedShareValueException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            }
            try {
                VersionedPolicy p = ShareCodec.decodePolicy("k", x);
                assertTrue(p.version() >= 0 && !p.originId().isBlank());
            } catch (MalformedShareValueException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            }
        }
    }

    private static <T> T assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(s);
    }
}
