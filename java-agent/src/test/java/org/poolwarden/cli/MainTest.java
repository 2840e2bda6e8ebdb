package org.poolwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;
import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void unknownOptionIsOneLineAndUsageExit() {
        assertEquals(Main.EXIT_USAGE, run("doctor", "--jsn"));
        String[] lines = err.toString().strip().split("\n");
        assertEquals(2, lines.length, err.toString());
        assertTrue(lines[0].startsWith("poolwarden doctor: Unknown option: '--jsn'"), lines[0]);
        assertEquals("Try 'poolwarden doctor --help'.", lines[1]);
        assertEquals("", out.toString());
    }

    @Test
    void unknownCommandAndNoCommandAreUsageErrors() {
        assertEquals(Main.EXIT_USAGE, run("frobnicate"));
        assertTrue(err.toString().startsWith("poolwarden: Unmatched argument at index 0: 'frobnicate'"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(Main.EXIT_USAGE, run());
        assertTrue(err.toString().startsWith("poolwarden: a command is required"), err.toString());
    }

    @Test
    void helpAndVersionSucceed() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("doctor"), out.toString());
        assertEquals(0, run("--version"));
        assertTrue(out.toString().contains("poolwarden "));
    }

    @Test
    void failuresAreOneLineWithoutStackTrace() {
        String line = Main.oneLine(new IllegalStateException(new KernelException("setns", "/run/netns/x", Errno.EPERM)));
        assertEquals("setns /run/netns/x failed: EPERM (operation not permitted)", line);
        assertEquals("bad\tthing", Main.oneLine(new IllegalArgumentException("bad\tthing\n")));
    }
}
