package org.poolwarden.enforce;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.poolwarden.agent.Enforcer;
import org.poolwarden.cgroup.CpuController;
import org.poolwarden.cgroup.ReconcileResult;
import org.poolwarden.config.Pipe;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.Inventory;
import org.poolwarden.nft.FlowClassifier;
import org.poolwarden.policy.PolicyPlan;
import org.poolwarden.tc.bandwidth.ApplyReport;
import org.poolwarden.tc.bandwidth.BandwidthController;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.ForeignObjectException;

/**
 * The {@link Enforcer} over the three adapters: per app a CPU group (weight, cap) holding its processes; per pipe
 * interface an HTB tree with a class per app (rate = booking, ceil = burst limit) and a default class; table
 * {@code inet poolwarden} steering each app's flows into its class (flow rules, and {@code socket cgroupv2} for
 * process-owned apps, whose processes on hybrid hosts are also placed in a cgroup2 group of ours).
 *
 * <p>Every {@link #apply} reconciles by diff: each adapter reads what the kernel has and sends only the difference, so
 * an unchanged plan costs reads only, and a restarted agent takes over what the previous one left without creating
 * anything twice. The plan is translated and validated as a whole ({@link DesiredKernel}) before any adapter is
 * called: a plan that cannot be enforced changes nothing. Order: cgroup2 groups (nftables resolves them when loading
 * rules), classifier, HTB trees, CPU groups, cgroup2 placement, then what is no longer wanted.
 *
 * <p>{@link #release()} (back to monitor) removes all of it and puts the processes back; {@link #cleanup()} removes
 * whatever poolwarden made, with or without a config. Only the control thread calls it (cleanup: the CLI).
 */
public final class KernelEnforcer implements Enforcer, AutoCloseable {
    /**
     * The adapters this enforcer drives.
     *
     * @param cpuRootRemover removes the CPU controller's root in every hierarchy (the port has no such call)
     * @param cgroup2        null on pure cgroup v2 hosts, where the CPU groups are the ones sockets are matched on
     */
    public record Ports(CpuController cpu, Runnable cpuRootRemover, BandwidthController tc, FlowClassifier nft,
                        Cgroup2Groups cgroup2, NetDevices devices) {}

    /** Observability: written by the control thread, read by anyone. */
    public static final class Counters {
        public volatile long applies, applyFailures, rejectedPlans, releases, cleanups, cpuWrites, tcChanges,
                tcDrift, nftCommands, nftDrift, cgroup2Moves, skippedFlowRules, quietSkips,
                /** Groups whose knobs a quiet apply checked, and quiet applies that checked tc and nftables. */
                knobChecks, networkChecks,
                /** Policy-only reloads written ahead of the full reconcile, and the groups and trees they wrote. */
                policyFastApplies, policyFastWrites,
                /** Pipes left alone because a foreign root qdisc sits where our tree goes. */
                foreignObjects;
        public volatile String lastError;
        /** Flow rules the last apply could not express in nftables (sctp, icmp, protocol-only), one line each. */
        public volatile List<String> skipped = List.of();
    }

    private final Ports ports;
    private final Supplier<PoolwardenConfig> config;
    private final DesiredKernel.Layout layout;
    private final Counters counters = new Counters();
    /** Pipe interfaces that carry (or may carry, after a restart) our trees; emptied by release. */
    private final Set<String> devicesTouched = new LinkedHashSet<>();
    private boolean tookOver;
    private DesiredKernel last;
    private int quietApplies;
    /** What the last desired state was made from (same objects: the same state, no need to build it again). */
    private PolicyPlan madeFromPlan;
    private PoolwardenConfig madeFromConfig;
    private Map<String, Inventory.Instance> madeFromApps;
    private DesiredKernel made;

    /**
     * While the desired state stays the same (same plan, same processes), the kernel is not reconciled in full on
     * every apply: a full reconcile reads every knob and process list of every group, thousands of file reads with
     * hundreds of apps. Instead each quiet apply checks the knobs of a slice of the groups ({@link #KNOB_SWEEP_TICKS}),
     * every {@code QUIET_RECONCILE_EVERY}th one reconciles the tc trees and nftables, and every
     * {@link #FULL_RECONCILE_EVERY}th one does the full reconcile, process lists and the cgroup2 groups included. Drift bounds at the default
     * 2 s slow tick: an outside write to a CPU knob is undone within {@code KNOB_SWEEP_TICKS} applies (30 s), an
     * outside change to our tc classes or nftables table within {@code QUIET_RECONCILE_EVERY} applies (30 s), a
     * process moved out of our group by someone else within {@code FULL_RECONCILE_EVERY} applies (5 min). Any change
     * of the desired state (reload, policy, a process starting, exiting or moving) is applied in full at once.
     */
    public static final int QUIET_RECONCILE_EVERY = 15;
    /** Quiet applies over which every group's knobs are checked once (a slice of the groups per apply). */
    public static final int KNOB_SWEEP_TICKS = 15;
    /** Quiet applies between two full reconciles (process lists read back): membership drift bound. */
    public static final int FULL_RECONCILE_EVERY = 150;
    /** Where the next quiet knob check starts in the desired group list. */
    private int knobCursor;

    /**
     * @param config the agent's current config ({@code agent::config}): flow rules, pipe interfaces, app order;
     *               always the one the plan was made from, since both are read on the control thread
     */
    public KernelEnforcer(Ports ports, Supplier<PoolwardenConfig> config, DesiredKernel.Layout layout) {
        this.ports = ports;
        this.config = config;
        this.layout = layout;
    }

    @Override
    public void apply(PolicyPlan plan, Inventory inventory) {
        counters.applies++;
        PoolwardenConfig c = config.get();
        DesiredKernel d;
        try {
            // The plan and config stay the same objects while nothing changes, and the apps' process lists compare
            // equal (cheaply: the detector keeps the same lists until an app gains or loses a process).
            if (made != null && plan == madeFromPlan && c == madeFromConfig && inventory.apps().equals(madeFromApps)) {
                d = made;
            } else {
                d = DesiredKernel.of(plan, c, inventory, layout);
                made = d;
                madeFromPlan = plan;
                madeFromConfig = c;
                madeFromApps = inventory.apps();
            }
            for (BandwidthSpec s : d.pipes().values()) {
                // an interface that does not exist is bad input too: find out before changing anything
                if (!devicesTouched.contains(s.device())) ports.tc().stats(s.device());
            }
        } catch (IllegalArgumentException e) {
            counters.rejectedPlans++;
            counters.lastError = e.getMessage();
            throw e;
        }
        if (last != null && d.equals(last) && ++quietApplies < FULL_RECONCILE_EVERY) {
            // Nothing to change since the last reconcile: the kernel is read back (drift) a part at a time.
            counters.quietSkips++;
            try {
                quietCheck(d, c);
            } catch (RuntimeException e) {
                counters.applyFailures++;
                counters.lastError = e.toString();
                last = null; // the next apply reconciles in full
                throw e;
            }
            return;
        }
        quietApplies = 0;
        try {
            reconcile(d, c);
            last = d;
        } catch (RuntimeException e) {
            // A kernel refusal half-way: the next slow tick reconciles again from whatever the kernel holds.
            counters.applyFailures++;
            counters.lastError = e.toString();
            throw e;
        }
    }

    /**
     * A quiet apply's share of the drift check: the knobs (not the process lists) of the next slice of the CPU
     * groups, so that every group is checked once per {@link #KNOB_SWEEP_TICKS} applies and no apply reads all of
     * them; on every {@link #QUIET_RECONCILE_EVERY}th, nftables and the tc trees (the cgroup2 groups, whose listing
     * reads their process lists, wait for the full reconcile).
     */
    private void quietCheck(DesiredKernel d, PoolwardenConfig c) {
        List<CpuController.Desired> all = d.cpu();
        int n = all.size();
        if (n > 0) {
            int slice = (n + KNOB_SWEEP_TICKS - 1) / KNOB_SWEEP_TICKS;
            List<org.poolwarden.cgroup.AppGroup> groups = new ArrayList<>(slice);
            int from = knobCursor % n;
            for (int i = 0; i < slice; i++) groups.add(all.get((from + i) % n).group());
            knobCursor = (from + slice) % n;
            counters.knobChecks += groups.size();
            counters.cpuWrites += ports.cpu().ensureGroups(groups);
        }
        if (quietApplies % QUIET_RECONCILE_EVERY == 0) {
            counters.networkChecks++;
            List<RuntimeException> foreign = new ArrayList<>();
            reconcileNetwork(d, c, foreign, false);
            rethrow(foreign, "reconcile");
        }
    }

    /**
     * Writes only what a policy change altered since the last full reconcile: the CPU knobs of groups that exist in
     * both, and a pipe's HTB tree when the nftables classifier stays the same (so every class it steers to is kept;
     * a class added or removed waits for the reconcile, which orders classifier and trees). Validated as a whole
     * first, like apply: a plan that cannot be enforced writes nothing here.
     *
     * @return true when that was every difference (same groups with the same processes, same classifier, same
     *         pipes): the kernel then holds the new desired state, which becomes the last one applied, and the next
     *         full apply finds nothing to do unless processes changed
     */
    @Override
    public boolean applyPolicyChanges(PolicyPlan plan, Inventory inventory) {
        DesiredKernel prev = last;
        if (prev == null) return false;
        DesiredKernel d = DesiredKernel.of(plan, config.get(), inventory, layout);
        counters.policyFastApplies++;
        Map<String, CpuController.Desired> before = new java.util.HashMap<>();
        for (CpuController.Desired g : prev.cpu()) before.put(g.group().name(), g);
        boolean complete = d.cpu().size() == prev.cpu().size() && d.flows().equals(prev.flows())
                && d.cgroup2().equals(prev.cgroup2()) && d.skipped().equals(prev.skipped())
                && d.pipes().keySet().equals(prev.pipes().keySet());
        for (CpuController.Desired g : d.cpu()) {
            CpuController.Desired old = before.get(g.group().name());
            if (old == null) {
                complete = false; // a new group: the reconcile's work
                continue;
            }
            if (!old.pids().equals(g.pids())) complete = false; // processes to move: the reconcile's too
            if (!old.group().equals(g.group())) {
                if (ports.cpu().ensureGroup(g.group())) counters.cpuWrites++;
                counters.policyFastWrites++;
            }
        }
        if (d.flows().equals(prev.flows())) {
            for (Map.Entry<String, BandwidthSpec> p : d.pipes().entrySet()) {
                BandwidthSpec s = p.getValue();
                BandwidthSpec old = prev.pipes().get(p.getKey());
                if (old == null || !old.device().equals(s.device())) {
                    complete = false;
                } else if (!old.equals(s)) {
                    counters.tcChanges += ports.tc().apply(s).changesSent();
                    counters.policyFastWrites++;
                }
            }
        }
        if (complete) {
            last = d;
            quietApplies = 0;
        }
        return complete;
    }

    /**
     * cgroup2 groups (made first: nftables resolves them when loading rules; {@code withCgroup2} false leaves them
     * out, since listing them reads their process lists), the classifier, the HTB trees.
     */
    private void reconcileNetwork(DesiredKernel d, PoolwardenConfig c, List<RuntimeException> foreign,
                                  boolean withCgroup2) {
        Cgroup2Groups g2 = ports.cgroup2();
        if (g2 != null && withCgroup2) {
            Set<String> keep = new TreeSet<>(d.cgroup2().keySet());
            keep.addAll(g2.list().keySet()); // old groups go only after the rules that name them
            g2.reconcile(keep);
        }
        FlowClassifier.Reconcile r = ports.nft().apply(d.flows());
        counters.nftCommands += r.commands();
        if (r.drift()) counters.nftDrift++;

        Set<String> wanted = new HashSet<>();
        for (BandwidthSpec s : d.pipes().values()) {
            wanted.add(s.device());
            try {
                ApplyReport rep = ports.tc().apply(s);
                counters.tcChanges += rep.changesSent();
                counters.tcDrift += rep.driftCorrected();
                devicesTouched.add(s.device());
            } catch (ForeignObjectException e) {
                counters.foreignObjects++;
                foreign.add(e);
            }
        }
        if (!tookOver) {
            // After a restart our trees may sit on pipes that no longer have allocations: look once at every pipe.
            for (Pipe p : c.pipes()) devicesTouched.add(p.iface());
            tookOver = true;
        }
        List<String> unwanted = new ArrayList<>();
        for (String dev : devicesTouched) if (!wanted.contains(dev)) unwanted.add(dev);
        // The adapter's remove touches only what it recognises as ours, and nothing on a device without it.
        for (String dev : unwanted) {
            ports.tc().remove(dev);
            devicesTouched.remove(dev);
        }
    }

    private void reconcile(DesiredKernel d, PoolwardenConfig c) {
        counters.skipped = d.skipped();
        counters.skippedFlowRules = d.skipped().size();
        // A foreign root qdisc on one pipe leaves that pipe alone (the adapter changed nothing there); the other
        // pipes and the CPU side are still reconciled, and the apply fails at the end naming that pipe.
        List<RuntimeException> foreign = new ArrayList<>();
        reconcileNetwork(d, c, foreign, true);
        Cgroup2Groups g2 = ports.cgroup2();
        ReconcileResult cpu = ports.cpu().reconcile(d.cpu());
        counters.cpuWrites += cpu.writes();

        if (g2 != null) {
            for (Map.Entry<String, Set<Integer>> e : d.cgroup2().entrySet()) {
                counters.cgroup2Moves += g2.place(e.getKey(), e.getValue());
            }
            g2.reconcile(d.cgroup2().keySet());
        }
        rethrow(foreign, "reconcile");
    }

    /** Back to monitor: nothing of ours stays in the kernel; processes go back out of our groups. Idempotent. */
    @Override
    public void release() {
        counters.releases++;
        List<RuntimeException> errors = new ArrayList<>();
        step(errors, () -> ports.nft().removeAll());
        Set<String> devices = new LinkedHashSet<>(devicesTouched);
        PoolwardenConfig c = config.get();
        if (c != null) for (Pipe p : c.pipes()) devices.add(p.iface());
        for (String dev : devices) step(errors, () -> ports.tc().remove(dev));
        // reconcile() would first make our root: in monitor mode nothing may be created, even for a moment
        step(errors, () -> {
            if (!ports.cpu().list().isEmpty()) ports.cpu().reconcile(List.of());
        });
        step(errors, ports.cpuRootRemover());
        if (ports.cgroup2() != null) step(errors, () -> ports.cgroup2().removeAll());
        devicesTouched.clear();
        tookOver = false;
        last = null;
        rethrow(errors, "release");
    }

    /**
     * Removes everything poolwarden made, without a config: table {@code inet poolwarden}, our root qdisc and ingress
     * redirect on every interface (and the {@code pwifb*} devices), our cgroup root in every hierarchy. Nothing else
     * is touched: an interface is only handed to the tc adapter when it has our root qdisc or our IFB.
     *
     * @return what was removed, one line each
     */
    public List<String> cleanup() {
        counters.cleanups++;
        List<String> done = new ArrayList<>();
        List<RuntimeException> errors = new ArrayList<>();
        step(errors, () -> {
            ports.nft().removeAll();
            done.add("nftables table inet poolwarden");
        });
        step(errors, () -> {
            List<NetDevices.Device> all = ports.devices().all();
            Set<String> names = new HashSet<>();
            Set<Integer> indexes = new HashSet<>();
            for (NetDevices.Device d : all) {
                names.add(d.name());
                indexes.add(d.index());
            }
            // The adapter's remove touches only what it recognises as ours (our root handle, our redirect filter,
            // our IFB), so every interface is handed to it: a redirect left behind by a deleted IFB goes too.
            for (NetDevices.Device d : all) {
                if (d.name().startsWith(IFB_PREFIX)) continue;
                boolean ifb = names.contains(IFB_PREFIX + d.index());
                step(errors, () -> {
                    long before = ports.tc().counters().changesSent();
                    ports.tc().remove(d.name());
                    if (ifb || ports.tc().counters().changesSent() > before) {
                        done.add("tc on " + d.name() + (ifb ? " (ingress, " + IFB_PREFIX + d.index() + ")" : ""));
                    }
                });
            }
            // IFBs whose pipe interface is gone can no longer be found through it
            for (NetDevices.Device d : ports.devices().all()) {
                if (d.name().startsWith(IFB_PREFIX) && "ifb".equals(d.kind())) {
                    String n = d.name().substring(IFB_PREFIX.length());
                    if (n.chars().allMatch(Character::isDigit) && !n.isEmpty()
                            && !indexes.contains(Integer.parseInt(n))) {
                        step(errors, () -> {
                            ports.devices().delete(d);
                            done.add("orphan " + d.name());
                        });
                    }
                }
            }
        });
        step(errors, () -> {
            if (!ports.cpu().list().isEmpty()) ports.cpu().reconcile(List.of());
            ports.cpuRootRemover().run();
            done.add("cpu cgroups (" + ports.cpu().name() + ")");
        });
        if (ports.cgroup2() != null) step(errors, () -> {
            ports.cgroup2().removeAll();
            done.add("cgroup2 groups");
        });
        devicesTouched.clear();
        tookOver = false;
        last = null;
        rethrow(errors, "cleanup");
        return done;
    }

    /** The IFB name prefix of the tc adapter ({@code pwifb<ifindex>}). */
    static final String IFB_PREFIX = "pwifb";

    private static void step(List<RuntimeException> errors, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            errors.add(e); // one failing part must not keep the others in place
        }
    }

    private void rethrow(List<RuntimeException> errors, String what) {
        if (errors.isEmpty()) return;
        counters.lastError = errors.get(0).toString();
        RuntimeException first = errors.get(0);
        for (int i = 1; i < errors.size(); i++) first.addSuppressed(errors.get(i));
        throw first;
    }

    /** The last desired state applied successfully (null in monitor mode): for the sampler and for status. */
    public DesiredKernel lastApplied() {
        return last;
    }

    public Ports ports() {
        return ports;
    }

    public Counters counters() {
        return counters;
    }

    @Override
    public void close() {
        ports.tc().close();
        ports.nft().close();
    }
}
