package org.poolwarden.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.poolwarden.cgroup.Initramfs;
import org.poolwarden.cgroup.QemuGuest;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/**
 * The package and its unit under systemd as PID 1, which this machine is not booted with: Debian's kernel boots under
 * qemu (TCG) with a busybox initramfs that shares the host's root file system read-only over 9p, puts a tmpfs overlay
 * on top and starts /lib/systemd/systemd with only the test's target. In the guest (pure cgroup v2),
 * {@code rollout/systemd-guest.sh} installs the .deb the reactor built with dpkg and drives the real unit: start
 * (active, Delegate=yes, the agent leaves its unit's cgroup for the leaf {@code agent} and makes its app group under
 * {@code poolwarden.slice/poolwarden.service/apps} with the configured weight and the matching process in it), reload
 * (SIGHUP: the same PID and start time, the new config visible through the API, monitor mode releasing the group and
 * sending its process back to the cgroup it came from, the test script's unit),
 * stop (no poolwarden cgroup, nftables table, qdisc or IFB left).
 *
 * <p>The package goes into the initramfs, not over 9p: the guest mounts its own tmpfs on /tmp and /var/tmp, so a
 * project cloned under /tmp (as CI does) had its .deb out of the guest's sight, and dpkg -i failed at once (exit 2;
 * then "Unit poolwarden.service not found", rc 5, everywhere after). The host's root is the guest's lower layer, live:
 * the boot holds {@link HostPackageGuard}'s lock, so no package test of this or another build installs or purges
 * poolwarden on the host meanwhile, and the guest reports what it sees of poolwarden before installing (nothing).
 * A failed step ends the guest script at once with the logs on the console; every failed assertion carries the
 * console.
 *
 * <p>Time on the 2-core build machine: 42 s idle (boot 8.5 s under TCG); 86-163 s in three full CI runs while other
 * builds loaded it (load average 8-20). Part of the normal build (tag {@code vm}); {@code mvn -pl tests -am verify -Pvm} runs only the guest
 * tests.
 */
@Tag("vm")
@KernelTest(needs = {"dpkg"})
class SystemdGuestKernelTest {
    static final int LIMIT_SECONDS = 900;
    static final String CGROUP_ROOT = "poolwarden.slice/poolwarden.service/apps";

    @Test
    void theUnitStartsDelegatesReloadsWithSighupAndStopsCleanUnderSystemd() throws Exception {
        long t0 = System.nanoTime();
        Path deb = Commands.builtDeb();
        KernelRequirement.require(deb == null ? "the package is not built (mvn -pl java-agent -am package)" : null);
        KernelRequirement.require(Files.isExecutable(Path.of("/lib/systemd/systemd")) ? null
                : "no /lib/systemd/systemd on this machine (apt-get install systemd)");
        QemuGuest.ensureInstalled();
        Path kernel = QemuGuest.kernel();
        Path work = Path.of("target", "qemu-systemd").toAbsolutePath();
        Files.createDirectories(work);
        Path image = work.resolve("initramfs.cpio");
        try (Initramfs cpio = new Initramfs(image)) {
            cpio.dir("proc").dir("sys").dir("dev").dir("tmp");
            cpio.file("bin/busybox", Path.of("/bin/busybox"));
            cpio.file("init", resource("/rollout/systemd-init.sh"), 0755);
            List<String> order = new ArrayList<>();
            for (Path m : QemuGuest.modules(kernel, "9pnet_virtio", "virtio_pci", "9p", "overlay")) {
                cpio.file("mod/" + m.getFileName(), m);
                order.add(m.getFileName().toString());
            }
            cpio.text("mod/order", String.join("\n", order) + "\n", 0644);
            cpio.file("pw/systemd-guest.sh", resource("/rollout/systemd-guest.sh"), 0755);
            // The package travels in the initramfs: over 9p the guest would miss it wherever the host path is hidden
            // (its /tmp and /var/tmp are its own, and CI builds a clone of the project under /tmp).
            cpio.file("pw/poolwarden.deb", deb);
        }
        QemuGuest.Boot boot;
        // The guest's root is the host's, live over 9p: the package tests of this and other builds on the machine
        // install and purge poolwarden there. Their lock keeps the host free of it for the whole boot.
        try (HostPackageGuard guard = HostPackageGuard.acquire()) {
            boot = QemuGuest.boot(kernel, image, work.resolve("console.log"), 2, 1536,
                    "console=ttyS0 quiet panic=-1 rdinit=/init systemd.show_status=0",
                    List.of("-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"),
                    LIMIT_SECONDS);
        }
        Map<String, String> r = boot.results();
        String report = String.format("qemu TCG, 2 vCPUs: systemd reached the test at guest uptime %s s; dpkg -i %s s;"
                + " systemctl start %s s; stop %s s; whole run %.0f s (test %.0f s)",
                field(r, "boot", "uptime"), field(r, "dpkg", "seconds"), field(r, "start", "seconds"),
                field(r, "stop", "seconds"), boot.seconds(), (System.nanoTime() - t0) / 1e9);
        System.out.println(report);
        Files.writeString(work.resolve("result.txt"), report + "\n");
        try {
            check(boot, r);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + report + "\n" + consoleForFailure(boot.console(),
                    work.resolve("console.log")), e);
        }
    }

    /** Every assertion on the guest's report; a failure gets the guest console attached by the caller. */
    private static void check(QemuGuest.Boot boot, Map<String, String> r) {
        assertTrue(boot.finished(), "the guest powered off within " + LIMIT_SECONDS + " s");
        assertEquals("systemd", field(r, "boot", "pid1"));
        assertEquals("cgroup2fs", field(r, "boot", "fs"), "pure cgroup v2 in the guest");
        assertEquals("", field(r, "preinstall", "status"), "no poolwarden package in the guest before dpkg -i");
        assertEquals("", field(r, "preinstall", "found"), "nothing of poolwarden's in the host's root the guest sees");
        assertEquals(null, r.get("abort"), "the guest script stopped early");
        assertTrue(r.containsKey("done"), "the guest script ran to the end");
        assertEquals("0", field(r, "dpkg", "rc"), "dpkg -i");
        assertEquals("install_ok_installed", field(r, "dpkg", "status"));

        assertEquals("0", field(r, "start", "rc"), "systemctl start poolwarden");
        assertEquals("active", field(r, "start", "active"));
        assertEquals("yes", field(r, "main", "delegate"));
        String pid = field(r, "main", "pid");
        assertEquals("/poolwarden.slice/poolwarden.service/agent", field(r, "main", "cgroup"),
                "the agent moved itself into the leaf beside its root");

        String sleeper = field(r, "group", "sleeper");
        assertTrue(Arrays.asList(field(r, "group", "procs").split(",")).contains(sleeper),
                "the agent placed the matching process into its app group under " + CGROUP_ROOT + ": " + r.get("group"));
        assertEquals("300", field(r, "group", "weight"), "cpu.weight of the app group");
        assertTrue(Arrays.asList(field(r, "group", "subtree").split(",")).contains("cpu"),
                "cpu enabled below poolwarden.service, the delegated cgroup: " + r.get("group"));
        assertEquals("", field(r, "group", "svc_procs"), "no process left in poolwarden.service itself (v2's rule)");
        assertEquals("enforce", field(r, "status-before", "mode"));
        assertEquals("1", field(r, "status-before", "apps"));

        assertEquals("0", field(r, "reload", "rc"));
        assertEquals("monitor", field(r, "status-after", "mode"), "the reloaded config is in effect: "
                + r.get("status-after"));
        assertEquals("2", field(r, "status-after", "apps"));
        assertEquals(pid, field(r, "status-after", "pid"), "a reload is not a restart");
        assertEquals(field(r, "status-before", "started"), field(r, "status-after", "started"));
        assertEquals("active", field(r, "status-after", "active"));
        assertEquals("gone", field(r, "status-after", "group"), "monitor mode released the app group");
        String home = field(r, "sleeper", "home");
        assertTrue(home != null && home.startsWith("/system.slice/"), "the sleeper starts in the test script's unit: "
                + r.get("sleeper"));
        assertEquals(home, field(r, "status-after", "sleeper_cgroup"),
                "the released process went back to the cgroup it came from, not to the root");
        assertEquals("1", r.get("journal-hup"), "one 'config reloaded' in the journal");

        assertEquals("0", field(r, "stop", "rc"));
        assertEquals("inactive", field(r, "stop", "state"));
        List<String> cgroups = Arrays.stream(field(r, "leftovers", "cgroups").split(",")).filter(s -> !s.isEmpty())
                .filter(s -> !s.equals("/sys/fs/cgroup/poolwarden.slice")).toList(); // systemd's slice unit
        assertEquals(List.of(), cgroups, "no cgroup of the agent's left: " + r.get("leftovers"));
        assertEquals("0", field(r, "leftovers", "nft"), "nftables table");
        assertEquals("0", field(r, "leftovers", "qdiscs"), "qdiscs with our handle");
        assertEquals("0", field(r, "leftovers", "ifb"), "IFB devices");
    }

    /** The whole console when it is short, else its "PW" lines and its last part; with where the full log is. */
    static String consoleForFailure(String console, Path log) {
        StringBuilder b = new StringBuilder("--- guest console (" + log + ")\n");
        if (console.length() <= 24000) {
            return b.append(console).toString();
        }
        console.lines().filter(l -> l.contains("PW")).forEach(l -> b.append(l).append('\n'));
        return b.append("--- last 8000 characters\n").append(console.substring(console.length() - 8000)).toString();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = SystemdGuestKernelTest.class.getResourceAsStream(name)) {
            assertNotNull(in, name + " on the test classpath");
            return in.readAllBytes();
        }
    }

    /** key=value out of a "PW line key=value ..." result line; null when missing. */
    static String field(Map<String, String> results, String line, String key) {
        String l = results.get(line);
        if (l == null) {
            return null;
        }
        Map<String, String> kv = new LinkedHashMap<>();
        for (String w : l.split(" ")) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                kv.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return kv.get(key);
    }
}
