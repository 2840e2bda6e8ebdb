package org.poolwarden.api;

/** Thrown by {@link AgentApi} methods given an app name that the running config does not have. */
public final class UnknownAppException extends IllegalArgumentException {
    private final String app;

    public UnknownAppException(String app) {
        super("no app named \"" + app + "\"");
        this.app = app;
    }

    public String app() {
        return app;
    }
}
