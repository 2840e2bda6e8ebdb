package org.poolwarden.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.poolwarden.cgroup.CgroupLayout;
import org.poolwarden.os.Native;
import org.poolwarden.os.Netns;
import org.poolwarden.os.Nftables;

/**
 * Finds out what this host supports. Every kernel feature is probed for real, inside a scratch network namespace
 * that the kernel removes on its own once the probe ends (nothing is left behind even if we are killed).
 */
public final class Doctor {
    /** Probes the tc features the bandwidth half needs (by the tc-adapter), keyed htb, ingress, ifb, u32, cls_bpf. */
    private final Supplier<Map<String, DoctorReport.Feature>> tcProbe;

    public Doctor(Supplier<Map<String, DoctorReport.Feature>> tcProbe) {
        this.tcProbe = tcProbe;
    }

    public DoctorReport examine() {
        boolean root = Native.isAvailable() && Native.isRoot();
        int euid = Native.isAvailable() ? Native.geteuid() : -1;
        List<String> problems = new ArrayList<>();
        if (!Native.isAvailable()) {
            problems.add("libc cannot be loaded through JNR-FFI: " + Native.unavailabilityCause());
        } else if (!root) {
            problems.add("not running as root (euid " + euid + "): run it with sudo");
        }

        CgroupLayout layout = CgroupLayout.detect();
        DoctorReport.Cgroups cgroups = cgroups(layout);
        boolean cpu = root && layout.cpuUnusableReason() == null;
        if (layout.cpuUnusableReason() != null) {
            problems.add("CPU enforcement impossible: " + layout.cpuUnusableReason());
        }

        Map<String, DoctorReport.Feature> tc = new LinkedHashMap<>();
        DoctorReport.Nft nft;
        if (root) {
            tc.putAll(tcProbe.get());
            nft = probeNftables();
        } else {
            for (String f : List.of("htb", "ingress", "ifb", "mirred", "u32", "cls_bpf")) {
                tc.put(f, DoctorReport.Feature.failed("not probed: probing needs root"));
            }
            nft = new DoctorReport.Nft(Nftables.isAvailable(), null, false, Nftables.isAvailable()
                    ? "not probed: probing needs root" : libraryMissing());
        }
        boolean bandwidth = root && nft.works() && tc.getOrDefault("htb", DoctorReport.Feature.failed("")).works();
        tc.forEach((name, f) -> {
            if (!f.works() && root) {
                problems.add("tc " + name + " does not work: " + f.reason());
            }
        });
        if (!nft.works() && root) {
            problems.add("nftables does not work: " + nft.reason());
        }
        if (root && !bandwidth) {
            problems.add("bandwidth enforcement impossible (needs HTB and nftables)");
        }
        int exit = cpu && bandwidth && problems.isEmpty() ? 0 : (cpu || bandwidth ? 1 : 2);
        return new DoctorReport(DoctorReport.FORMAT_VERSION, version(), kernel(),
                new DoctorReport.Privilege(root, euid), cgroups, tc, nft, psi(),
                new DoctorReport.Verdict(cpu, bandwidth, problems, exit));
    }

    static DoctorReport.Cgroups cgroups(CgroupLayout l) {
        Map<String, String> v1 = new TreeMap<>();
        l.v1Mounts().forEach((k, v) -> v1.put(k, v.toString()));
        return new DoctorReport.Cgroups(l.mode().name().toLowerCase(), l.unifiedMount() == null ? null : l.unifiedMount().toString(),
                List.copyOf(l.unifiedControllers()), v1, l.cpuAndCpuacctSeparate(), l.cpuControllers(),
                l.cpuControllerName(), l.cpuUnusableReason());
    }

    /** Loads libnftables, builds a table with a priority-setting rule in a scratch namespace, reads the version. */
    static DoctorReport.Nft probeNftables() {
        if (!Nftables.isAvailable()) {
            return new DoctorReport.Nft(false, null, false, libraryMissing());
        }
        try {
            return Netns.callInScratch(() -> {
                try (Nftables nft = Nftables.open()) {
                    nft.run("add table inet pwprobe\n"
                            + "add chain inet pwprobe out { type filter hook output priority mangle; }\n"
                            + "add rule inet pwprobe out meta l4proto tcp meta priority set 1:10 ct mark set 10");
                    JsonNode listed = new ObjectMapper().readTree(nft.run("list table inet pwprobe"));
                    String version = null;
                    for (JsonNode item : listed.path("nftables")) {
                        if (item.has("metainfo")) {
                            version = item.path("metainfo").path("version").asText(null);
                        }
                    }
                    return new DoctorReport.Nft(true, version, true, null);
                }
            });
        } catch (Exception e) {
            return new DoctorReport.Nft(true, null, false, e.getMessage());
        } catch (Error e) {
            return new DoctorReport.Nft(true, null, false, e.toString());
        }
    }

    static String libraryMissing() {
        return "libnftables.so.1 is missing: apt-get install " + Nftables.PACKAGE;
    }

    static DoctorReport.Psi psi() {
        return new DoctorReport.Psi(readable("/proc/pressure/cpu"), readable("/proc/pressure/memory"),
                readable("/proc/pressure/io"));
    }

    private static boolean readable(String path) {
        try {
            Files.readString(Path.of(path));
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    static String kernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    static String version() {
        String v = Doctor.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
