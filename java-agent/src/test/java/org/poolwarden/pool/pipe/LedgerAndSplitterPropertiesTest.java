package org.poolwarden.pool.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class LedgerAndSplitterPropertiesTest {

    static final PipeConfig PIPE = PipeConfig.of("wan", 125_000_000L);

    @Property
    void sendingWholePacketsNeverDriftsMoreThanOnePacketPastTheCredit(
            @ForAll("credits") List<Long> credits, @ForAll @IntRange(min = 64, max = 9000) int packet) {
        OverdraftLedger l = new OverdraftLedger();
        long granted = 0;
        long sent = 0;
        for (long c : credits) {
            long usable = l.begin(c);
            granted += c;
            // a greedy sender: whole packets while any usable credit is left, so it can end one packet over
            long s = usable == 0 ? 0 : ((usable + packet - 1) / packet) * packet;
            l.sent(s);
            sent += s;
            assertTrue(sent <= granted + packet, "sent " + sent + " granted " + granted);
            assertEquals(Math.max(0, sent - granted), Math.max(0, l.overdraft() - 0), packet,
                    "the debt is what was sent beyond the credit");
        }
    }

    @Provide
    Arbitrary<List<Long>> credits() {
        return Arbitraries.longs().between(0, 20_000).list().ofMinSize(1).ofMaxSize(60);
    }

    @Provide
    Arbitrary<List<AppClassDemand>> classes() {
        return Combinators.combine(Arbitraries.longs().between(0, 400_000), Arbitraries.longs().between(0, 4_000_000))
                .as((b, u) -> new long[] {b, u}).list().ofMinSize(1).ofMaxSize(40).map(l -> {
                    List<AppClassDemand> out = new ArrayList<>();
                    for (int i = 0; i < l.size(); i++) {
                        out.add(new AppClassDemand("app" + i, l.get(i)[0], l.get(i)[1]));
                    }
                    return out;
                });
    }

    @Property
    void classSplitStaysWithinTheHostCreditAndServesBookingsFirst(
            @ForAll("classes") List<AppClassDemand> apps, @ForAll @LongRange(min = 0, max = 6_250_000) long booked,
            @ForAll @LongRange(min = 0, max = 6_250_000) long rest,
            @ForAll @LongRange(min = 0, max = 20_000) long debt) {
        long totalBooked = apps.stream().mapToLong(AppClassDemand::bookedBytes).sum();
        long b = Math.min(booked, totalBooked);
        HostGrant g = new HostGrant("h", false, b, rest, 0, b + rest);
        long usable = Math.max(0, g.creditBytes() - debt);
        List<ClassRate> rates = HostClassSplitter.split(PIPE, g, usable, apps);
        long sum = 0;
        long rateSum = 0;
        for (int i = 0; i < apps.size(); i++) {
            ClassRate r = rates.get(i);
            assertEquals(apps.get(i).appId(), r.appId());
            assertTrue(r.rateBytesPerSec() >= 0 && r.rateBytesPerSec() <= r.ceilBytesPerSec());
            assertTrue(r.expectedBytes() <= apps.get(i).bookedBytes() + apps.get(i).unbookedBytes());
            sum += r.expectedBytes();
            rateSum += r.rateBytesPerSec();
        }
        assertTrue(sum <= usable, "classes expect " + sum + " of " + usable);
        assertTrue(rateSum <= Math.ceil(b / PIPE.tickSeconds()) + apps.size(), "rates above the booked grant");
        if (usable >= b) {
            // every class gets at least its part of the booked grant
            for (int i = 0; i < apps.size(); i++) {
                double part = totalBooked == 0 ? 0 : (double) apps.get(i).bookedBytes() * b / totalBooked;
                assertTrue(rates.get(i).expectedBytes() >= Math.floor(part) - 1, "class " + i);
            }
        }
    }
}
