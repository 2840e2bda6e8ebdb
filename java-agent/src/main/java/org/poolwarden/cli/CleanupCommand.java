package org.poolwarden.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import org.poolwarden.enforce.HostEnforcement;
import org.poolwarden.enforce.KernelEnforcer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code poolwarden cleanup}: removes every kernel object poolwarden made (table inet poolwarden, qdisc handle 5057:
 * and the pwifb* IFBs on every interface, our cgroup root in each hierarchy). The config is read only for its
 * cgroups.root, and only when it is valid. For a host
 * where the agent was stopped for good, or before uninstalling. Stop the agent first: a running one in enforce mode
 * recreates its objects at its next tick.
 */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
        description = {"Removes every kernel object poolwarden made (nftables table, tc qdiscs and IFBs, cgroups); "
                + "touches nothing else. Needs no valid config. Stop the agent first."})
public final class CleanupCommand implements Callable<Integer> {
    @Option(names = "--cgroup-root", description = "Our cgroup root under each hierarchy (default: cgroups.root of "
            + "the config in --config when it is valid, else " + org.poolwarden.cgroup.CpuControllers.DEFAULT_ROOT
            + ").")
    String cgroupRoot;

    @Option(names = "--config", paramLabel = "DIR|FILE", description = "where to read cgroups.root from (default: "
            + "${DEFAULT-VALUE}); nothing else of the config is used, and a broken one is no obstacle")
    java.nio.file.Path config = org.poolwarden.config.ConfigLoader.DEFAULT_DIR;

    @Option(names = "--netns", description = "The network namespace to clean (a path such as /run/netns/NAME; "
            + "default: this process's).")
    java.nio.file.Path netns;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "the agent's state directory, where it recorded "
            + "the cgroups its processes came from: they go back there (default: ${DEFAULT-VALUE})")
    java.nio.file.Path stateDir = AgentCommand.DEFAULT_STORE.getParent();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String root = cgroupRoot;
        if (root == null) {
            org.poolwarden.config.ConfigLoader.Result r = AgentCommand.loadConfig(config);
            root = r.valid() ? r.config().cgroups().root() : org.poolwarden.cgroup.CpuControllers.DEFAULT_ROOT;
        }
        HostEnforcement.Settings s = new HostEnforcement.Settings(root, netns, java.util.Set.of(), stateDir);
        try (KernelEnforcer e = HostEnforcement.open(s, () -> null)) {
            List<String> done = e.cleanup();
            for (String d : done) out.println("removed " + d);
        }
        out.flush();
        return 0;
    }
}
