package org.poolwarden.nft;

/** A validated flow rule; absent fields ({@code null}) match anything. {@code index} is its place in the config. */
public record FlowRule(int index, String app, Protocol protocol, AddressMatch local, AddressMatch remote,
                       PortRange localPort, PortRange remotePort) {
    /** 4 or 6 when an address pins the family, else 0. */
    public int family() {
        return local != null ? local.family() : remote != null ? remote.family() : 0;
    }

    public boolean hasPorts() {
        return localPort != null || remotePort != null;
    }
}
