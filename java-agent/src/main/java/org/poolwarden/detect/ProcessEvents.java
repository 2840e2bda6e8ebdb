package org.poolwarden.detect;

/**
 * The kernel telling the detector which processes started, exec'd, changed ids or exited, so that a scan reads only
 * those instead of every process. Implementations: {@link ProcConnector} (netlink), {@link FakeProcessEvents}.
 */
public interface ProcessEvents extends AutoCloseable {
    /**
     * Adds every event received since the last call to {@code into}, without waiting; marks it {@link
     * ProcChanges#markLost lost} when some were dropped or the source failed (the detector then reads all of /proc).
     */
    void drainInto(ProcChanges into);

    @Override
    void close();
}
