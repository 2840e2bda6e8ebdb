package org.poolwarden.enforce;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.poolwarden.agent.AgentRunner;
import org.poolwarden.agent.TickListener;
import org.poolwarden.config.ConfigLoader;

/**
 * The agent as a process of its own, for the kill -9 test: what {@code poolwarden agent} will run once the lead
 * registers an agent command (this branch has none), over the same {@link EnforcedAgent} wiring. Arguments: config
 * file, cgroup root, network namespace path. Prints one line per slow tick.
 */
public final class EnforcingAgentMain {
    public static void main(String[] args) {
        ConfigLoader.Result r = ConfigLoader.loadFile(Path.of(args[0]));
        if (!r.valid()) {
            System.err.println(r.errors());
            System.exit(1);
        }
        EnforcedAgent[] holder = new EnforcedAgent[1];
        TickListener log = new TickListener() {
            @Override
            public void onSlowTick(long nowNanos) {
                var c = holder[0].agent().counters();
                System.out.println("tick enforcements=" + c.enforcements + " errors=" + c.slowTickErrors + " last="
                        + c.lastSlowTickError);
            }
        };
        holder[0] = EnforcedAgent.create(r.config(), new HostEnforcement.Settings(args[1], Path.of(args[2]), Set.of()),
                null, null, List.of(log));
        AgentRunner.system(holder[0].agent()).start();
        System.out.println("started");
    }
}
