package org.poolwarden.detect;

import java.util.List;

/**
 * What one scan found compared with the previous one.
 *
 * @param started new processes (pid and start time not seen before) that belong to an app
 * @param exited  processes of an app that are gone (app is the one they had)
 * @param moved   known processes whose app changed, after an exec or a rule reload; previousApp or app is null
 *                when the process had or has none
 */
public record ScanResult(List<ProcessEvent> started, List<ProcessEvent> exited, List<ProcessEvent> moved,
                         Inventory inventory) {
    public ScanResult {
        started = List.copyOf(started);
        exited = List.copyOf(exited);
        moved = List.copyOf(moved);
    }

    public record ProcessEvent(int pid, String app, String previousApp) {}
}
