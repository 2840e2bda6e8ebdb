package org.poolwarden.os;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * Loads libc once. Following Netty's pattern: {@link #isAvailable()}, {@link #unavailabilityCause()} and
 * {@link #ensureAvailability()} instead of a failure deep inside the first call.
 */
public final class Native {
    private static final LibC LIBC;
    private static final Runtime RUNTIME;
    private static final Throwable CAUSE;

    static {
        LibC lib = null;
        Runtime rt = null;
        Throwable cause = null;
        try {
            lib = LibraryLoader.create(LibC.class).failImmediately().load("c");
            rt = Runtime.getRuntime(lib);
        } catch (Throwable t) {
            cause = t;
        }
        LIBC = lib;
        RUNTIME = rt;
        CAUSE = cause;
    }

    private Native() {
    }

    public static boolean isAvailable() {
        return CAUSE == null;
    }

    public static Throwable unavailabilityCause() {
        return CAUSE;
    }

    public static void ensureAvailability() {
        if (CAUSE != null) {
            throw new KernelException("load", "libc", 0,
                    "the C library could not be loaded through JNR-FFI (package libc6): " + CAUSE.getMessage(), CAUSE);
        }
    }

    static LibC libc() {
        ensureAvailability();
        return LIBC;
    }

    /** The errno saved by the last {@code @SaveError} call on this thread. */
    static int lastErrno() {
        return RUNTIME.getLastError();
    }

    /** Throws a {@link KernelException} naming the operation, the target and errno when {@code rc < 0}. */
    static long check(long rc, String operation, String target) {
        if (rc < 0) {
            throw new KernelException(operation, target, lastErrno());
        }
        return rc;
    }

    public static int geteuid() {
        return libc().geteuid();
    }

    public static boolean isRoot() {
        return isAvailable() && geteuid() == 0;
    }

    public static int getpid() {
        return libc().getpid();
    }

    /** The calling thread's kernel thread id (setns and unshare act on this thread only). */
    public static int gettid() {
        return (int) check(libc().syscall(186 /* SYS_gettid on x86_64 */), "gettid", "");
    }
}
