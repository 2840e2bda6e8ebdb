package org.poolwarden.config;

import java.util.regex.Pattern;

/**
 * Recognises processes. Every attribute that is set must match (AND); unset ones (null) match anything. At least one
 * is set (validated). {@code cmdline} is a glob over the NUL-separated arguments joined by spaces; {@code
 * cmdlineRegex} is a Java regex searched (find) in the same string.
 *
 * @param name            the process name as the kernel reports it (comm, at most 15 characters), glob allowed
 * @param env             an environment variable that must be present, optionally with a value glob
 * @param includeChildren children (transitively) of a matched process belong to the same app
 */
public record ProcessRule(String name, Integer pid, Integer uid, String user, Integer gid, String group,
                          Integer sessionId, String cmdline, Pattern cmdlineRegex, EnvMatch env, String parentName,
                          Integer parentPid, boolean includeChildren) {

    /** {@code NAME} (present) or {@code NAME=glob}. */
    public record EnvMatch(String name, String valueGlob) {
        @Override
        public String toString() {
            return valueGlob == null ? name : name + "=" + valueGlob;
        }
    }
}
