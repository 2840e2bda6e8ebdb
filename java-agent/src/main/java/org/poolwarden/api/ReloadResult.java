package org.poolwarden.api;

import java.util.List;
import org.poolwarden.config.ConfigError;

/**
 * The answer to a config reload.
 *
 * @param applied false when the new config was invalid; then the running config stays, unchanged
 * @param source  where the config was read from (a directory, a file, or the embedded default)
 * @param apps    apps in the running config after the call
 * @param errors  every error of the rejected config, as {@code file:line:col: field: message}
 */
public record ReloadResult(boolean applied, String source, int apps, List<ConfigError> errors) {
    public ReloadResult {
        errors = List.copyOf(errors);
    }
}
