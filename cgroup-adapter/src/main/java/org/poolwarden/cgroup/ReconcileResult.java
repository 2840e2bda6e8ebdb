package org.poolwarden.cgroup;

/**
 * What one reconcile did.
 *
 * @param created  groups made
 * @param updated  groups whose weight or cap was changed on purpose
 * @param drifted  groups whose weight or cap someone else had changed since we wrote it (undone)
 * @param removed  groups under our root that were no longer wanted
 * @param moved    processes moved into their group
 * @param vanished processes that exited before they could be moved
 * @param writes   file writes, mkdirs and rmdirs this reconcile performed (0 when nothing changed)
 * @param reads    file reads and directory listings it performed
 */
public record ReconcileResult(int created, int updated, int drifted, int removed, int moved, int vanished, long writes,
        long reads) {
}
