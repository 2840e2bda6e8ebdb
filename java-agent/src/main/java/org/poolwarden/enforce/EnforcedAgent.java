package org.poolwarden.enforce;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.poolwarden.agent.Agent;
import org.poolwarden.agent.Sampler;
import org.poolwarden.agent.TickListener;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.IdNames;
import org.poolwarden.detect.ProcReader;
import org.poolwarden.detect.ProcessDetector;
import org.poolwarden.policy.HostResources;
import org.poolwarden.store.HistoryStore;

/**
 * The control loop wired to the real kernel: {@link Agent} with a {@link KernelEnforcer} and a {@link KernelSampler}
 * that read the agent's current config. What {@code poolwarden agent} runs (and the end-to-end tests).
 *
 * <p>At start in monitor mode it removes whatever a previous agent left in the kernel (one killed while enforcing):
 * the kernel then matches the config's mode from the first tick. In enforce mode the first tick takes the objects
 * over by diff instead.
 */
public record EnforcedAgent(Agent agent, KernelEnforcer enforcer, KernelSampler sampler, SockDiag sockDiag)
        implements AutoCloseable {

    /**
     * @param sampler null: the {@link KernelSampler}; otherwise a wrapper around it may be given by {@code wrap}
     * @param store   null: no history
     */
    public static EnforcedAgent create(PoolwardenConfig config, HostEnforcement.Settings settings, HistoryStore store,
                                       java.util.function.UnaryOperator<Sampler> wrap, List<TickListener> listeners) {
        AtomicReference<Agent> ref = new AtomicReference<>();
        java.util.function.Supplier<PoolwardenConfig> current = () -> ref.get() == null ? config : ref.get().config();
        KernelEnforcer enforcer = HostEnforcement.open(settings, current);
        SockDiag diag = null;
        try {
            diag = SockDiag.open(settings.netns());
        } catch (RuntimeException e) {
            // no sock_diag (old kernel, module missing): monitor mode then reports no per-app bandwidth
        }
        HostResources host = HostResources.ofThisHost();
        String hostname;
        try {
            hostname = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            hostname = "localhost";
        }
        ProcessDetector detector = new ProcessDetector(ProcReader.system(), IdNames.system(), hostname, config.apps());
        detector.setEvents(ProcessDetector.kernelEvents());
        // One pass over /proc per slow tick: the sampler takes CPU times from the detector's reads.
        KernelSampler sampler = new KernelSampler(current, enforcer, diag, Path.of("/proc"), host.cpus(), detector);
        if (config.mode() == PoolwardenConfig.Mode.MONITOR) enforcer.release();
        Agent agent = new Agent(config, detector, host, enforcer, wrap == null ? sampler : wrap.apply(sampler), store,
                System::currentTimeMillis, listeners);
        ref.set(agent);
        return new EnforcedAgent(agent, enforcer, sampler, diag);
    }

    @Override
    public void close() {
        agent.detector().reader().close(); // the stat files it holds open
        if (agent.detector().events() != null) agent.detector().events().close();
        enforcer.close();
        if (sockDiag != null) sockDiag.close();
    }
}
