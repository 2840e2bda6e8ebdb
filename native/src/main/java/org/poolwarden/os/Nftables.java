package org.poolwarden.os;

import java.nio.file.Path;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

/**
 * libnftables: one context, JSON output, output and errors buffered. {@link #run} takes text or JSON commands
 * (libnftables tries JSON first and falls back to the text parser) and runs the whole buffer as one transaction:
 * either every command is applied or none is.
 */
public final class Nftables implements AutoCloseable {
    /** The Debian package that ships {@code libnftables.so.1}. */
    public static final String PACKAGE = "libnftables1";
    static final String SONAME = "libnftables.so.1";

    static final int OUTPUT_HANDLE = 1 << 3;
    static final int OUTPUT_JSON = 1 << 4;
    static final int OUTPUT_NUMERIC_PROTO = 1 << 7;

    /** The binding. Public only for JNR-FFI's generated class; use {@link Nftables} itself. */
    public interface LibNftables {
        Pointer nft_ctx_new(int flags);

        void nft_ctx_free(Pointer ctx);

        void nft_ctx_output_set_flags(Pointer ctx, int flags);

        int nft_ctx_output_get_flags(Pointer ctx);

        int nft_ctx_buffer_output(Pointer ctx);

        int nft_ctx_buffer_error(Pointer ctx);

        String nft_ctx_get_output_buffer(Pointer ctx);

        String nft_ctx_get_error_buffer(Pointer ctx);

        int nft_run_cmd_from_buffer(Pointer ctx, String buffer);

        void nft_ctx_set_dry_run(Pointer ctx, boolean dry);
    }

    private static final LibNftables LIB;
    private static final Throwable CAUSE;

    static {
        LibNftables lib = null;
        Throwable cause = null;
        try {
            lib = LibraryLoader.create(LibNftables.class).failImmediately().load(SONAME);
        } catch (Throwable t) {
            cause = t;
        }
        LIB = lib;
        CAUSE = cause;
    }

    private final Path netns;
    private Pointer ctx;

    private Nftables(Path netns) {
        this.netns = netns;
        this.ctx = Netns.call(netns, () -> LIB.nft_ctx_new(0));
        if (ctx == null || ctx.address() == 0) {
            throw new KernelException("nft_ctx_new", where(), Errno.ENOMEM);
        }
        LIB.nft_ctx_output_set_flags(ctx, OUTPUT_JSON | OUTPUT_HANDLE | OUTPUT_NUMERIC_PROTO);
        LIB.nft_ctx_buffer_output(ctx);
        LIB.nft_ctx_buffer_error(ctx);
    }

    public static boolean isAvailable() {
        return CAUSE == null;
    }

    public static Throwable unavailabilityCause() {
        return CAUSE;
    }

    public static void ensureAvailability() {
        if (CAUSE != null) {
            throw new KernelException("load", SONAME, 0,
                    SONAME + " is missing; install the Debian package " + PACKAGE + " (apt-get install " + PACKAGE + ")",
                    CAUSE);
        }
    }

    /** A context in this thread's network namespace. */
    public static Nftables open() {
        return open(null);
    }

    /** A context whose commands run in the network namespace at {@code netns} ({@code null}: this one). */
    public static Nftables open(Path netns) {
        ensureAvailability();
        return new Nftables(netns);
    }

    /**
     * Runs one buffer of commands as one transaction and returns what nftables printed (JSON for list commands,
     * empty for most changes). On failure nothing is applied and a {@link KernelException} carries nftables' own
     * error text.
     */
    public synchronized String run(String commands) {
        Pointer c = requireOpen();
        int rc = Netns.call(netns, () -> LIB.nft_run_cmd_from_buffer(c, commands));
        // The getters reset the buffers, so read both every time.
        String out = LIB.nft_ctx_get_output_buffer(c);
        String err = LIB.nft_ctx_get_error_buffer(c);
        if (rc != 0) {
            throw new KernelException("nft", summary(commands), 0,
                    err == null || err.isBlank() ? "nftables returned " + rc : oneLine(err));
        }
        return out == null ? "" : out;
    }

    /** Parses and checks the commands against the kernel without committing them. */
    public synchronized void check(String commands) {
        Pointer c = requireOpen();
        LIB.nft_ctx_set_dry_run(c, true);
        try {
            run(commands);
        } finally {
            LIB.nft_ctx_set_dry_run(c, false);
        }
    }

    @Override
    public synchronized void close() {
        if (ctx != null) {
            LIB.nft_ctx_free(ctx);
            ctx = null;
        }
    }

    private Pointer requireOpen() {
        if (ctx == null) {
            throw new IllegalStateException("nftables context is closed");
        }
        return ctx;
    }

    private String where() {
        return netns == null ? "" : "in " + netns;
    }

    private static String summary(String commands) {
        String first = commands.strip();
        int nl = first.indexOf('\n');
        if (nl >= 0) {
            first = first.substring(0, nl) + " ...";
        }
        return first.length() > 120 ? first.substring(0, 117) + "..." : first;
    }

    /** nftables' errors are multi-line (message, the command, a caret line); keep the message and the position. */
    static String oneLine(String err) {
        StringBuilder sb = new StringBuilder();
        for (String line : err.strip().split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.chars().allMatch(ch -> ch == '^' || ch == '~' || ch == ' ')) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(" | ");
            }
            sb.append(l);
        }
        return sb.toString();
    }
}
