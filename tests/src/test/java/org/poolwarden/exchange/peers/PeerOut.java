package org.poolwarden.exchange.peers;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The JSON-lines protocol every benchmark peer speaks on stdout, the same shape as the exchange agent's events:
 * {@code {"t":<wall ms>,"event":"JOINED|SUSPECT|VERIFIED|ALIVE|FAILED|LEFT","member":"h3","source":"..."}}, and
 * one {@code {"t":..,"ready":"<system>", ...}} once the peer runs.
 */
final class PeerOut {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private PeerOut() {
    }

    static synchronized void event(String event, String member, String source) {
        OUT.println("{\"t\":" + System.currentTimeMillis() + ",\"event\":\"" + event + "\",\"member\":\"" + clean(member)
                + "\",\"source\":\"" + clean(source) + "\"}");
    }

    static synchronized void ready(String system, String detail) {
        OUT.println("{\"t\":" + System.currentTimeMillis() + ",\"ready\":\"" + clean(system) + "\",\"config\":\"" + clean(detail) + "\"}");
    }

    static String clean(String s) {
        return s == null ? "" : s.replace("\\", "/").replace("\"", "'");
    }

    static String arg(String[] args, String name, String dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        if (dflt == null) {
            System.err.println("missing " + name);
            System.exit(2);
        }
        return dflt;
    }

    /** Reads stdin until it closes (the harness keeps it open), then keeps running until killed. */
    static void runUntilKilled() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (in.readLine() != null) {
            // no commands: the peers only report
        }
        Thread.currentThread().join();
    }
}
