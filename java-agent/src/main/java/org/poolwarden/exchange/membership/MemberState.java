package org.poolwarden.exchange.membership;

public enum MemberState {
    ALIVE, SUSPECT, DEAD, LEFT;

    /** Still counted in the pool (probed, gossiped to). */
    public boolean isActive() {
        return this == ALIVE || this == SUSPECT;
    }
}
