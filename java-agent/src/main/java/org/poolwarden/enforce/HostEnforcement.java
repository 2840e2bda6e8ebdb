package org.poolwarden.enforce;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.poolwarden.cgroup.AbstractCpuController;
import org.poolwarden.cgroup.CgroupLayout;
import org.poolwarden.cgroup.CgroupV2CpuController;
import org.poolwarden.cgroup.CpuControllers;
import org.poolwarden.cgroup.HybridV1CpuController;
import org.poolwarden.cgroup.ProcessOrigins;
import org.poolwarden.cgroup.WeightMapping;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.nft.FlowClassifier;
import org.poolwarden.nft.NftablesFlowClassifier;
import org.poolwarden.tc.bandwidth.RtnetlinkBandwidthController;
import org.poolwarden.tc.link.LinkInfo;
import org.poolwarden.tc.link.Links;

/** Builds the real {@link KernelEnforcer} for this host from its cgroup layout, in one network namespace. */
public final class HostEnforcement {
    /**
     * @param cgroupRoot   our root in every cgroup hierarchy ({@link CpuControllers#DEFAULT_ROOT}; tests use their own)
     * @param netns        the network namespace whose interfaces and nftables we manage; null: the agent's own
     * @param ingressPipes pipes whose ingress is shaped on an IFB as well
     * @param stateDir     where the record of the cgroups our processes came from is kept across restarts
     *                     ({@value #ORIGINS_FILE} for the CPU groups, {@value #CGROUP2_ORIGINS_FILE} for the cgroup2
     *                     placement on hybrid hosts); null: in memory only, so processes that a restarted agent
     *                     releases go to the evacuation group instead of back home
     */
    public record Settings(String cgroupRoot, Path netns, Set<String> ingressPipes, Path stateDir) {
        public Settings {
            ingressPipes = Set.copyOf(ingressPipes);
        }

        public Settings(String cgroupRoot, Path netns, Set<String> ingressPipes) {
            this(cgroupRoot, netns, ingressPipes, null);
        }

        public static final Settings DEFAULT = new Settings(CpuControllers.DEFAULT_ROOT, null, Set.of());
    }

    public static final String ORIGINS_FILE = "cgroup-origins";
    public static final String CGROUP2_ORIGINS_FILE = "cgroup2-origins";

    private HostEnforcement() {}

    /**
     * @param config the agent's current config; may return null for {@code --cleanup}, which needs none
     * @throws org.poolwarden.os.KernelException when this host cannot enforce (no CPU controller, no netlink)
     */
    public static KernelEnforcer open(Settings s, Supplier<PoolwardenConfig> config) {
        CgroupLayout layout = CgroupLayout.detect();
        AbstractCpuController cpu = CpuControllers.forHost(layout, s.cgroupRoot(), WeightMapping.LINEAR);
        if (s.stateDir() != null) cpu.rememberOriginsIn(ProcessOrigins.open(s.stateDir().resolve(ORIGINS_FILE)));
        Runnable removeRoot = () -> {
            if (cpu instanceof HybridV1CpuController h) h.removeRoot();
            else if (cpu instanceof CgroupV2CpuController v) v.removeRoot();
        };
        boolean hybrid = layout.mode() != CgroupLayout.Mode.V2;
        Cgroup2Groups g2 = hybrid && layout.unifiedMount() != null
                ? new Cgroup2FsGroups(layout.unifiedMount(), s.cgroupRoot(), s.stateDir() == null
                        ? ProcessOrigins.inMemory() : ProcessOrigins.open(s.stateDir().resolve(CGROUP2_ORIGINS_FILE)))
                : null;
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            RtnetlinkBandwidthController tc = RtnetlinkBandwidthController.open(s.netns());
            opened.add(tc);
            FlowClassifier nft = NftablesFlowClassifier.open(s.netns(), NftablesFlowClassifier.detectCgroupPrefix());
            opened.add(nft);
            Links links = new Links(tc.channel());
            NetDevices devices = new NetDevices() {
                @Override
                public List<Device> all() {
                    List<Device> out = new ArrayList<>();
                    for (LinkInfo l : links.all()) out.add(new Device(l.index(), l.name(), l.kind()));
                    return out;
                }

                @Override
                public void delete(Device d) {
                    links.find(d.name()).ifPresent(links::delete);
                }
            };
            return new KernelEnforcer(new KernelEnforcer.Ports(cpu, removeRoot, tc, nft, g2, devices), config,
                    new DesiredKernel.Layout(s.cgroupRoot(), hybrid && g2 != null, s.ingressPipes()));
        } catch (RuntimeException e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }
}
