package org.poolwarden.tc.bandwidth;

import java.util.List;

/**
 * The desired bandwidth tree of one pipe interface: "make it look like this". Rates are in bits per second.
 *
 * @param device      the pipe interface
 * @param linkRate    the pipe's capacity; no rate or ceil may exceed it
 * @param egress      the egress tree (HTB on the device), or null for none
 * @param ingress     the ingress tree (HTB on an IFB the device's ingress is redirected to), or null for none
 * @param takeOverForeignRoot replace a root qdisc that is not ours (otherwise it is reported and left alone)
 */
public record BandwidthSpec(String device, long linkRate, TreeSpec egress, TreeSpec ingress, boolean takeOverForeignRoot) {
    public static BandwidthSpec egressOnly(String device, long linkRate, TreeSpec egress) {
        return new BandwidthSpec(device, linkRate, egress, null, false);
    }

    /**
     * One direction's tree: a root class of {@code share} (this host's share of the pipe), a default class for
     * unclassified traffic, and one class per app. {@code classifiers} steer packets by header fields (u32);
     * egress traffic may also be steered by nftables setting {@code meta priority} to an app's class id.
     */
    public record TreeSpec(long share, DefaultClass defaultClass, List<AppClass> apps, List<Classifier> classifiers) {
        public TreeSpec {
            apps = apps == null ? List.of() : List.copyOf(apps);
            classifiers = classifiers == null ? List.of() : List.copyOf(classifiers);
        }
    }

    /** The class for unclassified traffic. */
    public record DefaultClass(int minor, long rate, long ceil) {
    }

    /**
     * One app's class: {@code rate} is its booking, {@code ceil} its burst limit (borrowing up to it).
     * {@code minor} is its class id under our root handle (nftables writes the same id into meta priority).
     */
    public record AppClass(String app, int minor, long rate, long ceil) {
    }

    /** A u32 classifier: packets matching {@code match} go to the class {@code minor}; {@code prio} orders them. */
    public record Classifier(int prio, FlowMatch match, int minor) {
    }
}
