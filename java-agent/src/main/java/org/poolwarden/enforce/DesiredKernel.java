package org.poolwarden.enforce;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.poolwarden.cgroup.AppGroup;
import org.poolwarden.cgroup.CpuCap;
import org.poolwarden.cgroup.CpuController;
import org.poolwarden.config.App;
import org.poolwarden.config.Cidr;
import org.poolwarden.config.FlowRule;
import org.poolwarden.config.Pipe;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.Inventory;
import org.poolwarden.nft.AppSpec;
import org.poolwarden.nft.DesiredState;
import org.poolwarden.nft.FlowRuleSpec;
import org.poolwarden.policy.BandwidthAllocation;
import org.poolwarden.policy.CpuAllocation;
import org.poolwarden.policy.PolicyPlan;
import org.poolwarden.tc.bandwidth.BandwidthController;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.FlowMatch;
import org.poolwarden.tc.bandwidth.SpecValidator;

/**
 * What the kernel should look like for one plan: the pure translation of a {@link PolicyPlan}, the config and the
 * inventory into the three adapters' desired states. No I/O; everything is validated here, so a plan that cannot be
 * enforced fails before any adapter is called.
 *
 * <p>Class ids: every app has one HTB minor, the same on every pipe, because nftables writes one {@code meta
 * priority} per app whatever interface the packet leaves by: {@link #FIRST_APP_MINOR} + the app's position in the
 * config. The default class is {@link #DEFAULT_MINOR} on every tree.
 *
 * @param cpu      one group per app of the plan, with the app's processes
 * @param pipes    one tc spec per pipe that has bandwidth allocations
 * @param flows    the nftables classifier's state (apps with bandwidth on some pipe)
 * @param cgroup2  for hybrid hosts: app → processes to place in its cgroup2 group (apps whose flows are matched by
 *                 socket cgroupv2); empty on pure v2 hosts, where the CPU group is that group
 * @param skipped  flow rules the kernel side cannot express (sctp, icmp, protocol-only), one line each
 */
public record DesiredKernel(List<CpuController.Desired> cpu, Map<String, BandwidthSpec> pipes, DesiredState flows,
                            Map<String, Set<Integer>> cgroup2, List<String> skipped) {
    /** Minor 2: the lowest the tc adapter allows; constant so the HTB default never changes (that rebuilds a root). */
    public static final int DEFAULT_MINOR = 2;
    /** Apps from 0x10 on: minors below stay free for classes poolwarden may add later (pool-wide ones). */
    public static final int FIRST_APP_MINOR = 0x10;

    public DesiredKernel {
        cpu = List.copyOf(cpu);
        pipes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pipes));
        Map<String, Set<Integer>> c = new LinkedHashMap<>();
        cgroup2.forEach((k, v) -> c.put(k, Set.copyOf(v)));
        cgroup2 = java.util.Collections.unmodifiableMap(c);
        skipped = List.copyOf(skipped);
    }

    /**
     * How this host's kernel is laid out for enforcement.
     *
     * @param cgroup2Root   our root in the cgroup2 hierarchy (relative to its mount), where process-owned apps' groups
     *                      live for socket matching ({@code poolwarden}); on pure v2 the CPU controller's root
     * @param hybrid        true: CPU groups are v1, so process-owned apps also need a cgroup2 group of their own
     * @param ingressPipes  pipes whose ingress is shaped too (an IFB tree classified by u32 on the flow rules)
     */
    public record Layout(String cgroup2Root, boolean hybrid, Set<String> ingressPipes) {
        public Layout {
            ingressPipes = Set.copyOf(ingressPipes);
        }
    }

    /** The HTB minor of an app: its position in the config after {@link #FIRST_APP_MINOR}. */
    public static int minorOf(PoolwardenConfig config, String app) {
        for (int i = 0; i < config.apps().size(); i++) {
            if (config.apps().get(i).name().equals(app)) return FIRST_APP_MINOR + i;
        }
        throw new IllegalArgumentException("app '" + app + "' is not in the config");
    }

    /** The class id nftables writes for an app, {@code 5057:<minor>} in hex: the tc root handle's major. */
    public static String classId(int minor) {
        return Integer.toHexString(BandwidthController.ROOT_MAJOR) + ":" + Integer.toHexString(minor);
    }

    /**
     * nftables names must start with a letter and hold no '.'; config names may. The mapping is one-to-one for
     * every config name (the config's own pattern) that does not already contain "_x2e_".
     */
    public static String nftName(String app) {
        String n = app.replace(".", "_x2e_");
        return Character.isLetter(n.charAt(0)) ? n : "a_" + n;
    }

    /**
     * @throws IllegalArgumentException (with the app or pipe named) when the plan cannot be enforced
     */
    public static DesiredKernel of(PolicyPlan plan, PoolwardenConfig config, Inventory inventory, Layout layout) {
        List<CpuController.Desired> cpu = new ArrayList<>();
        for (CpuAllocation a : plan.cpu().values()) {
            if (config.app(a.app()) == null) throw new IllegalArgumentException("plan names app '" + a.app()
                    + "' that the config does not have");
            CpuCap cap = null;
            if (a.quotaMicros() != CpuAllocation.UNLIMITED) {
                cap = CpuCap.ofCpus((double) a.quotaMicros() / a.periodMicros());
            }
            try {
                cpu.add(new CpuController.Desired(new AppGroup(a.app(), a.weight(), cap),
                        new LinkedHashSet<>(inventory.pids(a.app()))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("app '" + a.app() + "': " + e.getMessage(), e);
            }
        }

        Set<String> shaped = new LinkedHashSet<>();
        Map<String, BandwidthSpec> pipes = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, BandwidthAllocation>> e : plan.bandwidth().entrySet()) {
            Pipe pipe = config.pipe(e.getKey());
            if (pipe == null) throw new IllegalArgumentException("plan names pipe '" + e.getKey()
                    + "' that the config does not have");
            if (e.getValue().isEmpty()) continue;
            BandwidthSpec spec = spec(pipe, e.getValue(), config, layout.ingressPipes().contains(pipe.name()));
            try {
                SpecValidator.validate(spec);
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException("pipe '" + pipe.name() + "' (" + pipe.iface() + "): "
                        + x.getMessage(), x);
            }
            pipes.put(pipe.name(), spec);
            shaped.addAll(e.getValue().keySet());
        }

        List<String> skipped = new ArrayList<>();
        List<AppSpec> apps = new ArrayList<>();
        List<FlowRuleSpec> rules = new ArrayList<>();
        Map<String, Set<Integer>> cgroup2 = new LinkedHashMap<>();
        for (App a : config.apps()) {
            if (!shaped.contains(a.name())) continue;
            String group = null;
            if (!a.processRules().isEmpty()) {
                group = layout.cgroup2Root() + "/" + a.name();
                if (layout.hybrid()) cgroup2.put(a.name(), new LinkedHashSet<>(inventory.pids(a.name())));
            }
            apps.add(new AppSpec(nftName(a.name()), classId(minorOf(config, a.name())), group));
            for (int i = 0; i < a.flowRules().size(); i++) {
                FlowRule r = a.flowRules().get(i);
                String why = unsupported(r);
                if (why != null) {
                    skipped.add("app '" + a.name() + "' flowRules[" + i + "]: " + why);
                    continue;
                }
                rules.add(new FlowRuleSpec(nftName(a.name()), r.protocol() == null ? null
                        : r.protocol().name().toLowerCase(java.util.Locale.ROOT), str(r.localAddress()),
                        str(r.remoteAddress()), str(r.localPort()), str(r.remotePort())));
            }
        }
        DesiredState flows;
        try {
            flows = DesiredState.of(apps, rules);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("flow rules: " + e.getMessage(), e);
        }
        return new DesiredKernel(cpu, pipes, flows, cgroup2, skipped);
    }

    /** Why nftables cannot match this rule, or null. */
    static String unsupported(FlowRule r) {
        if (r.protocol() == FlowRule.Protocol.SCTP || r.protocol() == FlowRule.Protocol.ICMP) {
            return "protocol " + r.protocol().name().toLowerCase(java.util.Locale.ROOT)
                    + " is not classified yet (the nftables classifier matches tcp, udp and any)";
        }
        if (r.localAddress() == null && r.remoteAddress() == null && r.localPort() == null
                && r.remotePort() == null) {
            return "a rule on the protocol alone would claim every packet of it; give an address or a port";
        }
        return null;
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    /**
     * One pipe's tree, in bits per second. The root class is the host's capacity on the pipe; an app without a
     * booking gets the tc minimum as its rate (HTB has no zero rate); the default class gets what the bookings leave
     * (at least the minimum) and may borrow up to the whole pipe.
     */
    static BandwidthSpec spec(Pipe pipe, Map<String, BandwidthAllocation> allocs, PoolwardenConfig config,
                              boolean ingress) {
        long share = pipe.capacityBitsPerSecond();
        List<BandwidthSpec.AppClass> classes = new ArrayList<>();
        long booked = 0;
        long planned = 0;
        for (BandwidthAllocation a : allocs.values()) {
            // The plan's own contract (PolicyCalculator keeps it); a plan that breaks it is refused, not repaired.
            if (a.rate() < 0 || a.rate() > a.ceil() || a.ceil() * 8 > share) {
                throw new IllegalArgumentException("pipe '" + pipe.name() + "' app '" + a.app() + "': rate "
                        + a.rate() * 8 + " bit/s and ceil " + a.ceil() * 8 + " bit/s must satisfy 0 <= rate <= ceil <= "
                        + share + " (the pipe's capacity)");
            }
            planned += a.rate() * 8;
            long rate = Math.max(SpecValidator.MIN_RATE, a.rate() * 8);
            long ceil = Math.max(rate, a.ceil() * 8);
            classes.add(new BandwidthSpec.AppClass(a.app(), minorOf(config, a.app()), rate, ceil));
            booked += rate;
        }
        if (planned > share) {
            throw new IllegalArgumentException("pipe '" + pipe.name() + "': bookings of " + planned
                    + " bit/s exceed its capacity of " + share + " bit/s");
        }
        // The minimum rate given to unbooked apps may push a fully booked pipe over its share: take it back from the
        // largest booking, which loses the least in proportion.
        while (booked > share) {
            int largest = 0;
            for (int i = 1; i < classes.size(); i++) if (classes.get(i).rate() > classes.get(largest).rate()) largest = i;
            BandwidthSpec.AppClass c = classes.get(largest);
            long cut = Math.min(booked - share, c.rate() - SpecValidator.MIN_RATE);
            if (cut <= 0) throw new IllegalArgumentException("pipe '" + pipe.name() + "': " + classes.size()
                    + " apps do not fit its capacity of " + share + " bit/s at the minimum rate each");
            classes.set(largest, new BandwidthSpec.AppClass(c.app(), c.minor(), c.rate() - cut, c.ceil()));
            booked -= cut;
        }
        BandwidthSpec.DefaultClass def = new BandwidthSpec.DefaultClass(DEFAULT_MINOR,
                Math.max(SpecValidator.MIN_RATE, share - booked), share);
        BandwidthSpec.TreeSpec egress = new BandwidthSpec.TreeSpec(share, def, classes, List.of());
        BandwidthSpec.TreeSpec in = null;
        if (ingress) {
            in = new BandwidthSpec.TreeSpec(share, def, classes, ingressClassifiers(config, allocs));
        }
        return new BandwidthSpec(pipe.iface(), share, egress, in, false);
    }

    /**
     * Ingress is classified on the IFB by u32 (netfilter runs after the redirect): an incoming packet's source is the
     * rule's remote side and its destination the local side. u32 matches IPv4 and single ports only; other rules
     * leave their traffic in the default class.
     */
    static List<BandwidthSpec.Classifier> ingressClassifiers(PoolwardenConfig config,
                                                             Map<String, BandwidthAllocation> allocs) {
        List<BandwidthSpec.Classifier> out = new ArrayList<>();
        int prio = 1;
        for (App a : config.apps()) {
            if (!allocs.containsKey(a.name())) continue;
            int minor = minorOf(config, a.name());
            for (FlowRule r : a.flowRules()) {
                if (unsupported(r) != null) continue;
                if (!v4OrNull(r.remoteAddress()) || !v4OrNull(r.localAddress())) continue;
                if (single(r.remotePort()) == -1 || single(r.localPort()) == -1) continue;
                List<Integer> protos = new ArrayList<>();
                boolean ports = r.remotePort() != null || r.localPort() != null;
                if (r.protocol() == FlowRule.Protocol.TCP) protos.add(6);
                else if (r.protocol() == FlowRule.Protocol.UDP) protos.add(17);
                else if (ports) {
                    protos.add(6);
                    protos.add(17);
                } else protos.add(null);
                for (Integer proto : protos) {
                    if (prio > SpecValidator.MAX_PRIO) return out;
                    FlowMatch m = new FlowMatch(proto, inet4(r.remoteAddress()), prefix(r.remoteAddress()),
                            inet4(r.localAddress()), prefix(r.localAddress()), boxed(single(r.remotePort())),
                            boxed(single(r.localPort())));
                    out.add(new BandwidthSpec.Classifier(prio++, m, minor));
                }
            }
        }
        return out;
    }

    private static boolean v4OrNull(Cidr c) {
        return c == null || c.isIpv4();
    }

    /** The port of a one-port range; 0 for none; -1 for a real range (u32 cannot match it exactly). */
    private static int single(org.poolwarden.config.PortRange p) {
        if (p == null) return 0;
        return p.from() == p.to() ? p.from() : -1;
    }

    private static Integer boxed(int port) {
        return port == 0 ? null : port;
    }

    private static Inet4Address inet4(Cidr c) {
        if (c == null) return null;
        try {
            return (Inet4Address) InetAddress.getByAddress(c.address());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(c + ": " + e.getMessage(), e);
        }
    }

    private static int prefix(Cidr c) {
        return c == null ? 0 : c.prefix();
    }
}
