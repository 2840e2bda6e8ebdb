package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The origin record's codec, its file, and the /proc parsing it relies on. */
class ProcessOriginsTest {

    static ProcessOrigins.Origin o(long start, String... cgroups) {
        return new ProcessOrigins.Origin(start, List.of(cgroups));
    }

    @Test
    void formatsOneLinePerPidInPidOrderWithEscapedPaths() {
        Map<Integer, ProcessOrigins.Origin> m = new TreeMap<>();
        m.put(42, o(7, "/system.slice/my app.service", "/a\\b"));
        m.put(7, o(123456789L, "/"));
        assertEquals(ProcessOrigins.HEADER + "\n7 123456789 /\n42 7 /system.slice/my\\sapp.service /a\\\\b\n",
                ProcessOrigins.format(m));
    }

    @Test
    void parsesWhatItFormatsAndSkipsCommentsAndBlankLines() {
        ProcessOrigins.Parsed p = ProcessOrigins.parse("# c\n\n  12 5 /x   /y\n", "f");
        assertEquals(Map.of(12, o(5, "/x", "/y")), p.origins());
        assertEquals(List.of(), p.problems());
    }

    @Test
    void badLinesAreSkippedEachWithItsFileAndLine() {
        String[][] table = {
            {"12 5", "f:1: expected 'pid start-ticks cgroup...', got '12 5'"},
            {"x 5 /a", "f:1: not a number in 'x 5 /a'"},
            {"12 y /a", "f:1: not a number in '12 y /a'"},
            {"0 5 /a", "f:1: pid 0 is not a process id"},
            {"12 -1 /a", "f:1: start time -1 is negative"},
            {"12 5 relative", "f:1: cgroup path 'relative' is not absolute"},
            {"12 5 /a/../etc", "f:1: cgroup path '/a/../etc' has an empty, '.' or '..' component"},
            {"12 5 /a//b", "f:1: cgroup path '/a//b' has an empty, '.' or '..' component"},
            {"12 5 /a\\q", "f:1: '/a\\q' has an unknown escape '\\q'"},
            {"12 5 /a\\", "f:1: '/a\\' ends in a lone backslash"},
        };
        for (String[] row : table) {
            ProcessOrigins.Parsed p = ProcessOrigins.parse(row[0], "f");
            assertEquals(Map.of(), p.origins(), row[0]);
            assertEquals(List.of(row[1]), p.problems(), row[0]);
        }
        ProcessOrigins.Parsed twice = ProcessOrigins.parse("3 1 /a\nbad\n3 2 /b\n", "s");
        assertEquals(Map.of(3, o(1, "/a")), twice.origins());
        assertEquals(List.of("s:2: expected 'pid start-ticks cgroup...', got 'bad'",
                "s:3: pid 3 listed again; the first line counts"), twice.problems());
    }

    @Provide
    Arbitrary<Map<Integer, ProcessOrigins.Origin>> records() {
        Arbitrary<String> part = Arbitraries.strings().withChars("ab.-_ \\\n\tz9:").ofMinLength(1).ofMaxLength(8)
                .filter(s -> !s.equals(".") && !s.equals(".."));
        Arbitrary<String> path = part.list().ofMaxSize(4).map(l -> "/" + String.join("/", l));
        Arbitrary<ProcessOrigins.Origin> origin = Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE),
                path.list().ofMinSize(1).ofMaxSize(2)).as(ProcessOrigins.Origin::new);
        return Arbitraries.maps(Arbitraries.integers().between(1, 4_194_304), origin).ofMaxSize(20);
    }

    @Property
    void parseOfFormatIsTheIdentity(@ForAll("records") Map<Integer, ProcessOrigins.Origin> m) {
        ProcessOrigins.Parsed p = ProcessOrigins.parse(ProcessOrigins.format(m), "f");
        assertEquals(List.of(), p.problems());
        assertEquals(m, p.origins());
    }

    @Property
    void garbageNeverThrowsPastTheParser(@ForAll String text) {
        ProcessOrigins.Parsed p = ProcessOrigins.parse(text, "f");
        assertTrue(p.origins().size() + p.problems().size() <= text.split("\n", -1).length);
    }

    @Test
    void theFileOutlivesTheObjectAndOnlyChangesAreWritten(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("state/cgroup-origins");
        ProcessOrigins a = ProcessOrigins.open(file);
        assertEquals(0, a.size());
        a.saveIfChanged();
        assertFalse(Files.exists(file), "nothing recorded, nothing written");
        a.recordIfAbsent(10, o(99, "/system.slice/web.service"));
        a.recordIfAbsent(10, o(100, "/elsewhere")); // the first origin is where it goes back
        a.recordIfAbsent(11, o(5, "/"));
        a.saveIfChanged();
        assertEquals(1, a.saves());
        a.saveIfChanged();
        assertEquals(1, a.saves(), "unchanged: not written again");

        ProcessOrigins b = ProcessOrigins.open(file); // the agent after kill -9 and a restart
        assertEquals(List.of(), b.loadProblems());
        assertEquals(o(99, "/system.slice/web.service"), b.get(10));
        assertEquals(o(99, "/system.slice/web.service"), b.take(10));
        assertNull(b.take(10));
        b.saveIfChanged(pid -> pid != 11); // 11 has exited
        assertEquals(Map.of(), ProcessOrigins.open(file).snapshot());
        assertFalse(Files.exists(dir.resolve("state/cgroup-origins.tmp")));
    }

    @Test
    void aDamagedFileLoadsWhatItCanAndSaysWhatItCouldNot(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("cgroup-origins");
        Files.writeString(file, "5 1 /a\n6 oops /b\n");
        ProcessOrigins p = ProcessOrigins.open(file);
        assertEquals(Map.of(5, o(1, "/a")), p.snapshot());
        assertEquals(List.of(file + ":2: not a number in '6 oops /b'"), p.loadProblems());
    }

    @Test
    void aFileThatCannotBeWrittenIsCountedNotThrown(@TempDir Path dir) throws IOException {
        Path blocker = dir.resolve("not-a-dir");
        Files.writeString(blocker, "");
        ProcessOrigins p = ProcessOrigins.open(blocker.resolve("cgroup-origins"));
        p.recordIfAbsent(1, o(1, "/"));
        p.saveIfChanged();
        assertEquals(1, p.saveFailures());
        assertTrue(p.lastSaveFailure().contains("not-a-dir"), p.lastSaveFailure());
    }

    @Test
    void statStartTimeIsField22EvenWithSpacesAndParenthesesInTheCommand() {
        String rest = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21";
        assertEquals(OptionalLong.of(424242), Procfs.parseStartTicks("77 (a) b) c)" + rest));
        assertEquals(OptionalLong.of(424242), Procfs.parseStartTicks("77 (sleep)" + rest));
        assertEquals(OptionalLong.empty(), Procfs.parseStartTicks("77 (sleep) S 1 2"));
        assertEquals(OptionalLong.empty(), Procfs.parseStartTicks("garbage"));
    }

    @Test
    void cgroupLinesAreFoundByController() {
        List<String> hybrid = List.of("12:cpuset:/", "5:cpu,cpuacct:/user.slice", "3:name=systemd:/user.slice/s",
                "0::/user.slice/s");
        assertEquals("/user.slice", Procfs.pathFor(hybrid, "cpu"));
        assertEquals("/user.slice", Procfs.pathFor(hybrid, "cpuacct"));
        assertEquals("/user.slice/s", Procfs.pathFor(hybrid, ""));
        assertNull(Procfs.pathFor(hybrid, "memory"));
        assertEquals("/a:b", Procfs.pathFor(List.of("0::/a:b"), ""), "a colon in the path is the path's");
        assertNull(Procfs.pathFor(List.of("garbage"), ""));
        assertThrows(IllegalArgumentException.class, () -> o(1, "/../outside"), "outside our cgroup namespace");
    }
}
