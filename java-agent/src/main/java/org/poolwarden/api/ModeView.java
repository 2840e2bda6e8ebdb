package org.poolwarden.api;

import org.poolwarden.config.PoolwardenConfig.Mode;

/** The answer to {@code GET /v1/mode}. */
public record ModeView(Mode mode) {}
