package org.poolwarden.doctor;

import java.util.List;
import java.util.Map;

/**
 * What {@code poolwarden doctor} found. Serialised as-is for {@code --json}; the field names are a published format
 * (documented in docs/doctor.md): add fields, never rename or remove them.
 */
public record DoctorReport(
        int formatVersion,
        String poolwarden,
        String kernel,
        Privilege privilege,
        Cgroups cgroups,
        Map<String, Feature> tc,
        Nft nftables,
        Psi psi,
        Verdict verdict) {

    public static final int FORMAT_VERSION = 1;

    public record Privilege(boolean root, int euid) {
    }

    /** cgroup layout and the CPU enforcement it allows. */
    public record Cgroups(
            String mode,
            String unifiedMount,
            List<String> unifiedControllers,
            Map<String, String> v1Mounts,
            boolean cpuAndCpuacctSeparate,
            List<String> cpuControllers,
            String cpuController,
            String cpuUnusableReason) {
    }

    /** One kernel feature probed for real; {@code reason} says why it failed (null when it works). */
    public record Feature(boolean works, String reason) {
        public static Feature ok() {
            return new Feature(true, null);
        }

        public static Feature failed(String reason) {
            return new Feature(false, reason);
        }
    }

    public record Nft(boolean library, String version, boolean works, String reason) {
    }

    public record Psi(boolean cpu, boolean memory, boolean io) {
    }

    /**
     * The summary: which halves of enforcement are possible, and why not. {@code exitCode} is what the command exits
     * with: 0 everything works, 1 part of enforcement is impossible, 2 none is.
     */
    public record Verdict(boolean cpuEnforcement, boolean bandwidthEnforcement, List<String> problems, int exitCode) {
    }
}
