package org.poolwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.poolwarden.api.ApiFixture;
import org.poolwarden.api.AppView;
import org.poolwarden.api.FakeAgentApi;
import org.poolwarden.api.Status;
import org.poolwarden.api.Usage;
import org.poolwarden.config.PoolwardenConfig.Mode;

/** The top view as a pure function of the agent's answers. */
class TopViewTest {
    final FakeAgentApi agent = ApiFixture.agent(new ApiFixture.ManualClock(ApiFixture.START));

    @Test
    void aFullFrame() {
        List<String> l = TopView.render(agent.status(), agent.apps(), null, 200, 50);
        assertEquals("poolwarden top - host-a - mode monitor - up 1h 02m - 2/2 apps running, 40 processes"
                + " (36 unassigned)", l.get(0));
        assertTrue(l.get(1).startsWith("! insufficient resources on cpu: booked 12000"), l.get(1));
        assertEquals("", l.get(2));
        assertTrue(l.get(3).matches("APP\\s+PRIO\\s+PROCS\\s+CPU\\s+THROTTLED\\s+PSI10\\s+wan OUT\\s+wan IN"), l.get(3));
        assertTrue(l.get(4).matches("web\\s+7\\s+3\\s+37\\.5%\\s+1\\.2%\\s+2\\.5%\\s+24\\.0 Mbit/s\\s+1\\.5 Mbit/s"),
                l.get(4));
        assertTrue(l.get(5).startsWith("batch "), l.get(5));
        assertEquals("q or Ctrl-C quits", l.get(l.size() - 1));
        assertEquals(8, l.size());
    }

    @Test
    void busiestFirst() {
        agent.instance("batch", List.of(200), new Usage(90.0, 1, null, null, List.of()));
        List<String> l = TopView.render(agent.status(), agent.apps(), null, 200, 50);
        assertTrue(l.get(4).startsWith("batch "), l.toString());
        assertTrue(l.get(5).startsWith("web "), l.toString());
    }

    @Test
    void aStaleFrameSaysWhy() {
        List<String> l = TopView.render(agent.status(), agent.apps(), "no agent answering at x", 200, 50);
        assertTrue(l.contains("! no agent answering at x"), l.toString());
    }

    @Test
    void tooManyAppsSayHowManyDidNotFit() {
        List<AppView> apps = new ArrayList<>();
        for (int i = 0; i < 30; i++) apps.add(new AppView("app" + i, false, null, List.of()));
        Status s = new Status("h", "v", Mode.ENFORCE, Instant.EPOCH, 5, 30, 0, 0, 0, Map.of(), List.of());
        List<String> l = TopView.render(s, apps, null, 80, 12);
        assertEquals(12, l.size());
        // header line, blank, table header + 6 apps, "… N more", blank, help: 30 - 6 = 24 hidden
        assertEquals("… 24 more apps (enlarge the terminal)", l.get(9));
        assertTrue(l.get(8).startsWith("app"), l.get(8));
    }

    @Property
    void aFrameNeverExceedsTheScreen(@ForAll @IntRange(min = 1, max = 200) int width,
                                     @ForAll @IntRange(min = 1, max = 60) int height) {
        List<String> l = TopView.render(agent.status(), agent.apps(), "an error that is quite long, longer than"
                + " a narrow terminal", width, height);
        assertTrue(l.size() <= height, l.size() + " > " + height);
        for (String s : l) assertTrue(s.length() <= width, s);
    }

    @Test
    void theFrameRedrawsInPlace() {
        String f = TopView.frame(List.of("a", "b"));
        assertEquals("\033[Ha\033[K\r\nb\033[K\r\n\033[J", f);
    }

    @Test
    void humanUnits() {
        assertEquals("950 bit/s", Human.rate(950));
        assertEquals("1.5 Mbit/s", Human.rate(1_500_000));
        assertEquals("40.0 Gbit/s", Human.rate(40e9));
        assertEquals("45s", Human.duration(45));
        assertEquals("3m 05s", Human.duration(185));
        assertEquals("1h 02m", Human.duration(3725));
        assertEquals("3d 04h", Human.duration(3 * 86400 + 4 * 3600 + 59));
    }
}
