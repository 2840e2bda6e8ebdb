package org.poolwarden.nft;

/**
 * A flow rule as configured, unvalidated. Every field but {@code app} may be {@code null} (matches anything).
 * "Local" is the source side of an outgoing packet, "remote" its destination.
 *
 * @param protocol   {@code tcp}, {@code udp} or {@code any}; ports with {@code any} mean "tcp or udp"
 * @param local      local address with optional mask ({@code 10.0.0.0/8}, {@code 2001:db8::1})
 * @param remote     remote address with optional mask
 * @param localPort  local port or range ({@code 80}, {@code 1000-2000})
 * @param remotePort remote port or range
 */
public record FlowRuleSpec(String app, String protocol, String local, String remote, String localPort,
                           String remotePort) {
    public static FlowRuleSpec remote(String app, String protocol, String remote, String remotePort) {
        return new FlowRuleSpec(app, protocol, null, remote, null, remotePort);
    }
}
