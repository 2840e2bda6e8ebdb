package org.poolwarden.api;

import java.util.List;
import org.poolwarden.config.Policy;

/**
 * The answer to a policy change.
 *
 * @param applied false when the change was rejected; then nothing changed
 * @param policy  the app's policy after the call (the old one when rejected; null: monitored only)
 */
public record PolicyResult(String app, boolean applied, Policy policy, List<AgentApi.FieldError> errors) {
    public PolicyResult {
        errors = List.copyOf(errors);
    }

    public static PolicyResult applied(String app, Policy policy) {
        return new PolicyResult(app, true, policy, List.of());
    }

    public static PolicyResult rejected(String app, Policy current, List<AgentApi.FieldError> errors) {
        return new PolicyResult(app, false, current, errors);
    }
}
