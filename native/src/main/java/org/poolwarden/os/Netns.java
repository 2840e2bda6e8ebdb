package org.poolwarden.os;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Network namespaces for the calling thread. {@code setns} changes only the calling thread, so every switch is
 * scoped: the original namespace is restored in a {@code finally}, and a thread that cannot be restored is an
 * {@link Error} (it would otherwise go on configuring the wrong network stack).
 *
 * <p>A netlink socket or nftables context opened inside a namespace stays bound to it after the thread returns.
 */
public final class Netns {
    static final int CLONE_NEWNET = 0x40000000;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;

    private Netns() {
    }

    /** The namespace of a running process, as {@code /proc/PID/ns/net}. */
    public static Path ofPid(long pid) {
        return Path.of("/proc", Long.toString(pid), "ns", "net");
    }

    /** A namespace created by {@code ip netns add NAME}, bind-mounted under {@code /run/netns}. */
    public static Path named(String name) {
        return Path.of("/run/netns", name);
    }

    /** Runs {@code body} with the calling thread inside the namespace at {@code nsPath}; {@code null} means here. */
    public static <T> T call(Path nsPath, Callable<T> body) {
        if (nsPath == null) {
            return invoke(body);
        }
        LibC c = Native.libc();
        int original = (int) Native.check(c.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC),
                "open", "/proc/thread-self/ns/net");
        try {
            int target = c.open(nsPath.toString(), O_RDONLY | O_CLOEXEC);
            if (target < 0) {
                throw new KernelException("open netns", nsPath.toString(), Native.lastErrno());
            }
            try {
                Native.check(c.setns(target, CLONE_NEWNET), "setns", nsPath.toString());
            } finally {
                c.close(target);
            }
            try {
                return invoke(body);
            } finally {
                if (c.setns(original, CLONE_NEWNET) < 0) {
                    throw new IllegalStateException("cannot return thread " + Thread.currentThread().getName()
                            + " to its network namespace: " + Errno.name(Native.lastErrno()));
                }
            }
        } finally {
            c.close(original);
        }
    }

    public static void run(Path nsPath, Runnable body) {
        call(nsPath, () -> {
            body.run();
            return null;
        });
    }

    /**
     * Runs {@code body} on a fresh thread inside a new, empty network namespace (only {@code lo}, down) and waits
     * for it. The namespace has no name and no mount: the kernel frees it, with everything created in it, as soon
     * as the thread ends and the last socket opened in it is closed, even if this JVM is killed.
     */
    public static <T> T callInScratch(Callable<T> body) throws InterruptedException {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Native.check(Native.libc().unshare(CLONE_NEWNET), "unshare", "CLONE_NEWNET");
                result.set(body.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "poolwarden-scratch-netns");
        t.setDaemon(true);
        t.start();
        t.join();
        Throwable e = failure.get();
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        if (e != null) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return result.get();
    }

    private static <T> T invoke(Callable<T> body) {
        try {
            return body.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
