package org.poolwarden.enforce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.poolwarden.cgroup.FakeCpuController;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.Inventory;
import org.poolwarden.nft.FakeFlowClassifier;
import org.poolwarden.policy.HostResources;
import org.poolwarden.policy.PolicyCalculator;
import org.poolwarden.policy.PolicyPlan;
import org.poolwarden.tc.bandwidth.FakeBandwidthController;

/** The three fake adapters and a fake cgroup2 hierarchy, as one simulated host that enforcers can be started on. */
final class FakeHost {
    final FakeCpuController cpu = new FakeCpuController();
    final FakeBandwidthController tc = new FakeBandwidthController().addDevice("eth0").addDevice("eth1");
    final FakeFlowClassifier.Kernel nftKernel = new FakeFlowClassifier.Kernel();
    final FakeCgroup2Groups cgroup2 = new FakeCgroup2Groups();
    final List<String> deletedDevices = new ArrayList<>();
    PoolwardenConfig config;

    static final String TWO_APPS = """
            mode: enforce
            pipes:
              - {name: uplink, interface: eth0, capacity: 40mbit}
            apps:
              - name: web
                processRules: [{name: nginx}]
                flowRules: [{protocol: tcp, localPort: 443}]
                policy: {cpu: {weight: 300}, bandwidth: [{pipe: uplink, booking: 30mbit}]}
              - name: batch
                processRules: [{name: batch}]
                flowRules: [{protocol: tcp, remoteAddress: 10.77.0.2, remotePort: 5202}, {protocol: icmp}]
                policy: {cpu: {weight: 100, cap: 25}, bandwidth: [{pipe: uplink, booking: 10mbit, burst: 20mbit}]}
            """;

    FakeHost(String yaml) {
        config = config(yaml);
        for (int pid : new int[] {100, 101, 200}) {
            cpu.spawn(pid, 1);
            cgroup2.spawn(pid, "/user.slice");
        }
    }

    static PoolwardenConfig config(String yaml) {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", yaml);
        if (!r.valid()) throw new AssertionError(r.errors().toString());
        return r.config();
    }

    PolicyPlan plan() {
        return PolicyCalculator.plan(config, new HostResources(2, Map.of()));
    }

    Inventory inventory() {
        Map<String, Inventory.Instance> apps = new LinkedHashMap<>();
        apps.put("web", new Inventory.Instance("web", "h", List.of(100, 101)));
        apps.put("batch", new Inventory.Instance("batch", "h", List.of(200)));
        return new Inventory("h", apps, 0, 3);
    }

    /** A fresh enforcer over this host's kernel, as a restarted agent would make. */
    KernelEnforcer enforcer() {
        return enforcer(java.util.Set.of());
    }

    KernelEnforcer enforcer(java.util.Set<String> ingressPipes) {
        NetDevices devices = new NetDevices() {
            @Override
            public List<Device> all() {
                return List.of(new Device(2, "eth0", "veth"), new Device(3, "eth1", "veth"));
            }

            @Override
            public void delete(Device d) {
                deletedDevices.add(d.name());
            }
        };
        return new KernelEnforcer(new KernelEnforcer.Ports(cpu, () -> {}, tc, new FakeFlowClassifier(nftKernel),
                cgroup2, devices), () -> config, new DesiredKernel.Layout("poolwarden", true, ingressPipes));
    }

    /** Everything the simulated kernel holds, to compare before and after. */
    String snapshot() {
        return "cpu=" + cpu.list() + "\ntc=" + tc.snapshot() + "\nnft=" + nft() + "\ncgroup2="
                + cgroup2.list() + " root=" + cgroup2.rootExists();
    }

    String nft() {
        org.poolwarden.nft.TableState t = nftKernel.table();
        StringBuilder sb = new StringBuilder("present=" + t.present + " counters=" + t.counters);
        t.chains.values().forEach(c -> sb.append(" chain ").append(c.name).append(c.rules));
        t.maps.values().forEach(m -> sb.append(" map ").append(m.name).append(m.elements));
        return sb.toString();
    }

    boolean nothingOfOurs() {
        return cpu.list().isEmpty() && !tc.snapshot().contains("htb") && !tc.snapshot().contains("pwifb")
                && !nftKernel.table().present && cgroup2.list().isEmpty() && !cgroup2.rootExists();
    }
}
