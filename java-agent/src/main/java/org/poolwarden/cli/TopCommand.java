package org.poolwarden.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.poolwarden.api.ApiClientException;
import org.poolwarden.api.AppView;
import org.poolwarden.api.HttpAgentApi;
import org.poolwarden.api.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code poolwarden top}: a live view of the apps, redrawn every second in place (ANSI), busiest first. {@code q} or
 * Ctrl-C quits and restores the terminal. Not on a terminal (or with {@code --once}) it prints one plain frame.
 */
@Command(name = "top", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = ClientCommand.EXIT_USAGE,
        description = "Live view of the apps' CPU, throttling, pressure and traffic, refreshed every second;"
                + " q or Ctrl-C quits.",
        exitCodeListHeading = "Exit codes:%n", exitCodeList = {ClientCommand.X_OK, ClientCommand.X_REFUSED,
        ClientCommand.X_NO_AGENT, ClientCommand.X_AUTH, ClientCommand.X_USAGE})
public final class TopCommand extends ClientCommand {
    static final long REFRESH_MILLIS = 1000;
    static final String ALT_SCREEN_ON = "\033[?1049h\033[?25l";
    static final String ALT_SCREEN_OFF = "\033[?25h\033[?1049l";

    @Option(names = "--once", description = "print one frame without terminal codes and exit")
    boolean once;

    @Override
    int run(HttpAgentApi api) throws Exception {
        if (client.json) {
            printJson(Map.of("status", api.status(), "apps", api.apps()));
            return EXIT_OK;
        }
        Terminal tty = once || System.console() == null ? null : Terminal.open();
        if (tty == null) {
            // Into a pipe or file nothing is cut; on a terminal (--once) lines fit its width.
            int width = System.console() == null ? Integer.MAX_VALUE : Terminal.envSize()[1];
            for (String l : TopView.render(api.status(), api.apps(), null, width, Integer.MAX_VALUE)) out.println(l);
            return EXIT_OK;
        }
        // The first refresh is outside the loop so that "agent not running" is a one-line error, not a screen.
        Status s = api.status();
        List<AppView> apps = api.apps();
        String error = null;
        try (tty) {
            out.print(ALT_SCREEN_ON);
            while (true) {
                int[] size = tty.size();
                out.print(TopView.frame(TopView.render(s, apps, error, size[1], size[0])));
                out.flush();
                if (tty.waitForQuit(REFRESH_MILLIS)) return EXIT_OK;
                try {
                    s = api.status();
                    apps = api.apps();
                    error = null;
                } catch (ApiClientException e) {
                    // Keep the last frame and say why it is stale; the agent may be restarting.
                    error = e.getMessage();
                }
            }
        } finally {
            out.print(ALT_SCREEN_OFF);
            out.flush();
        }
    }

    /** The controlling terminal in non-canonical mode (keys arrive without Enter; Ctrl-C still signals). */
    static final class Terminal implements AutoCloseable {
        private final String saved;
        private final Thread restore;
        private final InputStream in = System.in;

        private Terminal(String saved) {
            this.saved = saved;
            // Ctrl-C ends the JVM through its shutdown hooks: give the terminal back even then.
            this.restore = new Thread(() -> {
                try {
                    stty(saved);
                } catch (java.io.UncheckedIOException e) {
                    // nothing more to do while the JVM ends
                }
                System.out.print(ALT_SCREEN_OFF);
                System.out.flush();
            });
            Runtime.getRuntime().addShutdownHook(restore);
        }

        static Terminal open() {
            try {
                String saved = stty("-g").strip();
                stty("-icanon", "-echo", "min", "1");
                return new Terminal(saved);
            } catch (java.io.UncheckedIOException e) {
                return null; // not a terminal stty can drive: fall back to one plain frame
            }
        }

        /** rows, columns */
        int[] size() {
            try {
                String[] p = stty("size").strip().split("\\s+");
                return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
            } catch (RuntimeException e) {
                return envSize();
            }
        }

        static int[] envSize() {
            return new int[] {intEnv("LINES", 24), intEnv("COLUMNS", 120)};
        }

        private static int intEnv(String name, int dflt) {
            try {
                return Integer.parseInt(System.getenv().getOrDefault(name, ""));
            } catch (NumberFormatException e) {
                return dflt;
            }
        }

        /** Waits up to {@code millis}; true when q was pressed (or input ended). */
        boolean waitForQuit(long millis) throws IOException, InterruptedException {
            long end = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < end) {
                while (in.available() > 0) {
                    int c = in.read();
                    if (c == 'q' || c == 'Q' || c < 0) return true;
                }
                Thread.sleep(50);
            }
            return false;
        }

        @Override
        public void close() {
            try {
                stty(saved);
            } catch (java.io.UncheckedIOException e) {
                System.err.println("poolwarden top: could not restore the terminal; run: stty sane");
            }
            try {
                Runtime.getRuntime().removeShutdownHook(restore);
            } catch (IllegalStateException e) {
                // already shutting down: the hook does it
            }
        }

        private static String stty(String... args) {
            try {
                List<String> cmd = new java.util.ArrayList<>(List.of("stty"));
                cmd.addAll(List.of(args));
                Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/tty"))
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor() != 0) throw new IOException("stty " + String.join(" ", args) + " failed");
                return o;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.UncheckedIOException(new IOException("interrupted"));
            }
        }
    }
}
