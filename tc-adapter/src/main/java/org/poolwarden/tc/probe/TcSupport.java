package org.poolwarden.tc.probe;

import java.util.List;
import java.util.stream.Stream;

/** Which traffic-control features this kernel has, each probed for real, with the reason when one failed. */
public record TcSupport(Feature htb, Feature ifb, Feature ingress, Feature clsBpf, Feature u32, Feature mirred) {
    /** One feature: {@code reason} is null when it works, a one-line explanation when it does not. */
    public record Feature(String name, boolean works, String reason) {
        public static Feature ok(String name) {
            return new Feature(name, true, null);
        }

        public static Feature failed(String name, String reason) {
            return new Feature(name, false, reason);
        }

        @Override
        public String toString() {
            return works ? name + ": ok" : name + ": FAILED (" + reason + ")";
        }
    }

    public List<Feature> all() {
        return List.of(htb, ifb, ingress, clsBpf, u32, mirred);
    }

    /** What bandwidth enforcement needs: HTB for egress, IFB + ingress + mirred for ingress, u32 or BPF to classify. */
    public boolean sufficient() {
        return htb.works() && ifb.works() && ingress.works() && mirred.works() && (u32.works() || clsBpf.works());
    }

    public List<Feature> failures() {
        return Stream.of(htb, ifb, ingress, clsBpf, u32, mirred).filter(f -> !f.works()).toList();
    }

    @Override
    public String toString() {
        return String.join("; ", all().stream().map(Feature::toString).toList());
    }
}
