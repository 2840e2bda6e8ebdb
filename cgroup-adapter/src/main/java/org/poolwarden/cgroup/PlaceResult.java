package org.poolwarden.cgroup;

/**
 * @param moved     processes written into the group (including children when asked)
 * @param already   processes that were in it already (no write)
 * @param vanished  processes that exited between being found and being moved (skipped, not an error)
 * @param threadsFixed threads that did not follow their process and were moved one by one
 */
public record PlaceResult(int moved, int already, int vanished, int threadsFixed) {
    PlaceResult plus(PlaceResult o) {
        return new PlaceResult(moved + o.moved, already + o.already, vanished + o.vanished, threadsFixed + o.threadsFixed);
    }

    static final PlaceResult NONE = new PlaceResult(0, 0, 0, 0);
}
