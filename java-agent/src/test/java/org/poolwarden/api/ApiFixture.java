package org.poolwarden.api;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.poolwarden.policy.InsufficientResources;

/** A fake agent with two apps (one managed, one monitored), live usage, history and an alarm, on a settable clock. */
public final class ApiFixture {
    public static final String CONFIG = """
            mode: monitor
            pipes:
              - name: wan
                interface: eth0
                capacity: 100mbit
            apps:
              - name: web
                processRules:
                  - name: nginx
                policy:
                  priority: 7
                  cpu:
                    weight: 300
                  bandwidth:
                    - pipe: wan
                      booking: 30mbit
                      burst: 50%
              - name: batch
                processRules:
                  - name: batch
            """;

    public static final Instant START = Instant.parse("2026-11-23T10:00:00Z");

    /** A clock tests move by hand. */
    public static final class ManualClock extends Clock {
        private volatile Instant now;

        public ManualClock(Instant now) {
            this.now = now;
        }

        public void advance(java.time.Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    public static Usage webUsage() {
        return new Usage(37.5, 12_345_678, new Usage.Throttling(1000, 12, 340_000),
                new Usage.Pressure(new Usage.Pressure.Line(2.5, 1.25, 0.5, 9_000_000), null),
                List.of(new Usage.PipeUsage("wan", Usage.Direction.EGRESS, 5_000_000, 4000, 24_000_000, 3, 17),
                        new Usage.PipeUsage("wan", Usage.Direction.INGRESS, 800_000, 900, 1_500_000, 0, 0)));
    }

    public static FakeAgentApi agent(ManualClock clock) {
        FakeAgentApi a = new FakeAgentApi("host-a", FakeAgentApi.config(CONFIG), clock);
        clock.advance(java.time.Duration.ofSeconds(3725));
        Instant now = clock.instant();
        a.instance("web", List.of(101, 102, 103), webUsage())
                .instance("batch", List.of(200), new Usage(5.0, 1_000_000, null, null, List.of()))
                .processes(40)
                .counter("slow_ticks", 1862).counter("reconcile_errors", 2)
                .alarm(Alarm.of(new InsufficientResources("cpu", "basis-points-of-host", 12000, 10000,
                        List.of(new InsufficientResources.Shortfall("batch", 2, 4000, 2000))), now.minusSeconds(60)));
        for (int i = 0; i < 5; i++) {
            a.sample("web", new History.Sample(now.minusSeconds(600L * (5 - i)), 10.0 * (i + 1), 1000L * i,
                    List.of(new History.PipeRate("wan", Usage.Direction.EGRESS, 1e6 * (i + 1), 100.0 * (i + 1)))));
        }
        return a;
    }
}
