package org.poolwarden.api;

import org.poolwarden.config.PoolwardenConfig.Mode;

/** @param changed false when the agent already was in that mode */
public record ModeChange(Mode previous, Mode current) {
    public boolean changed() {
        return previous != current;
    }
}
