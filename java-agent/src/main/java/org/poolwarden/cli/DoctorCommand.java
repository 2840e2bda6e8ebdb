package org.poolwarden.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.poolwarden.doctor.Doctor;
import org.poolwarden.doctor.DoctorReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Reports what this host supports: privilege, cgroup layout and CPU controller, tc features "
                + "(HTB, ingress, IFB, u32, cls_bpf), nftables, PSI.",
                "Exit status: 0 all enforcement possible, 1 partly, 2 not at all."})
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the report as JSON (format: docs/doctor.md).")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        DoctorReport r = new Doctor(TcFeatureProbe::probe).examine();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        } else {
            printHuman(r, out);
        }
        out.flush();
        return r.verdict().exitCode();
    }

    static void printHuman(DoctorReport r, PrintWriter out) {
        out.printf("poolwarden %s on Linux %s%n", r.poolwarden(), r.kernel());
        out.printf("%-12s %s%n", "privilege", r.privilege().root() ? "root" : "not root (euid " + r.privilege().euid() + ")");
        DoctorReport.Cgroups c = r.cgroups();
        out.printf("%-12s %s%s%n", "cgroups", c.mode(), c.unifiedMount() == null ? "" : ", cgroup2 at " + c.unifiedMount()
                + " (controllers: " + (c.unifiedControllers().isEmpty() ? "none" : String.join(" ", c.unifiedControllers())) + ")");
        if (!c.v1Mounts().isEmpty()) {
            out.printf("%-12s %s%s%n", "", "v1: " + v1(c.v1Mounts()),
                    c.cpuAndCpuacctSeparate() ? " (cpu and cpuacct are separate hierarchies)" : "");
        }
        out.printf("%-12s %s%n", "cpu", c.cpuController() != null ? "ok: " + c.cpuController() : "NO: " + c.cpuUnusableReason());
        for (Map.Entry<String, DoctorReport.Feature> e : r.tc().entrySet()) {
            out.printf("%-12s %s%n", "tc " + e.getKey(), e.getValue().works() ? "ok" : "NO: " + e.getValue().reason());
        }
        DoctorReport.Nft n = r.nftables();
        out.printf("%-12s %s%n", "nftables", n.works() ? "ok: " + n.version() + " (libnftables)" : "NO: " + n.reason());
        DoctorReport.Psi p = r.psi();
        out.printf("%-12s cpu %s, memory %s, io %s%n", "psi", yes(p.cpu()), yes(p.memory()), yes(p.io()));
        DoctorReport.Verdict v = r.verdict();
        out.printf("%-12s cpu %s, bandwidth %s%n", "enforcement", v.cpuEnforcement() ? "possible" : "IMPOSSIBLE",
                v.bandwidthEnforcement() ? "possible" : "IMPOSSIBLE");
        for (String problem : v.problems()) {
            out.println("  - " + problem);
        }
    }

    private static String v1(Map<String, String> mounts) {
        StringBuilder sb = new StringBuilder();
        mounts.forEach((k, v) -> {
            if (k.startsWith("cpu")) {
                sb.append(sb.length() == 0 ? "" : ", ").append(k).append(" at ").append(v);
            }
        });
        return sb.length() == 0 ? String.join(" ", mounts.keySet()) : sb.toString();
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }
}
