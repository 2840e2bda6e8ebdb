package org.poolwarden.detect;

import java.util.HashSet;
import java.util.Set;
import org.poolwarden.detect.ProcEventCodec.ProcEvent;

/**
 * What the process events of one slow tick mean for the detector: which processes to look at again (their stat
 * file) and which of those to classify again even if their name stayed the same. Pure.
 *
 * <ul>
 *   <li>a new process (fork whose child is a thread-group leader): look at it; a new thread changes nothing;</li>
 *   <li>exec, and a change of effective uid, gid, session or name of the process: classify again (an exec into a
 *       program of the same name, {@code setuid}, {@code setsid} and {@code prctl(PR_SET_NAME)} can each change
 *       which rule matches); a name change of another thread is not the process's name and is ignored;</li>
 *   <li>any exit, of the process or of one of its threads: look at the process (the main thread may exit before the
 *       others, so the last exit can be a thread's); a stat read that fails means it is gone.</li>
 * </ul>
 * Parent-based rules need nothing more: a process is classified once when it appears, with the parent it has then,
 * and reparenting does not move it. {@link #lost} says events were dropped (the socket overran), so the detector
 * must read every process.
 */
public final class ProcChanges {
    private final Set<Integer> look = new HashSet<>();
    private final Set<Integer> reclassify = new HashSet<>();
    private boolean lost;
    private long events;

    public void add(ProcEvent e) {
        events++;
        switch (e.kind()) {
            case FORK -> {
                if (e.isProcess()) look.add(e.tgid());
            }
            case EXEC, UID, GID, SID -> {
                look.add(e.tgid());
                reclassify.add(e.tgid());
            }
            case COMM -> {
                if (e.isProcess()) {
                    look.add(e.tgid());
                    reclassify.add(e.tgid());
                }
            }
            case EXIT, NONZERO_EXIT -> look.add(e.tgid());
            default -> {
                // ACK, PTRACE, COREDUMP: nothing that detection depends on
            }
        }
    }

    /** Events were dropped since the last drain: the detector cannot trust {@link #look} to be complete. */
    public void markLost() {
        lost = true;
    }

    public boolean lost() {
        return lost;
    }

    /** Processes whose stat file must be read in this scan. */
    public boolean mustLook(int pid) {
        return !look.isEmpty() && look.contains(pid); // most scans have no events: box no pid for them
    }

    /** Processes to classify again, whatever their name. */
    public boolean mustReclassify(int pid) {
        return !reclassify.isEmpty() && reclassify.contains(pid);
    }

    public Set<Integer> looked() {
        return java.util.Collections.unmodifiableSet(look);
    }

    /** Events added since this object was made (all drains). */
    public long events() {
        return events;
    }

    public void clear() {
        look.clear();
        reclassify.clear();
        lost = false;
    }
}
