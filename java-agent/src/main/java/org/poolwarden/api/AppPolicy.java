package org.poolwarden.api;

import org.poolwarden.config.Policy;

/** The answer to {@code GET /v1/apps/APP/policy}; policy null: the app is only monitored. */
public record AppPolicy(String app, Policy policy) {}
