/**
 * Enforcement on the real kernel: the control loop's {@link org.poolwarden.agent.Enforcer} and
 * {@link org.poolwarden.agent.Sampler} over the cgroup, tc and nft adapters.
 *
 * <h2>Layers</h2>
 * <ul>
 *   <li>{@link org.poolwarden.enforce.DesiredKernel} (pure): plan + config + inventory → the three adapters' desired
 *       states, validated as a whole. Class ids: app minor = 0x10 + the app's position in the config, the same on
 *       every pipe, written by nftables as {@code meta priority 5057:<minor>} (our tc root handle); default class
 *       {@code 5057:2}. Bytes/s in the plan become bits/s for tc; an app without a booking gets tc's minimum rate
 *       (8 kbit) taken back from the largest booking if the pipe is full. Flow rules nftables cannot express (sctp,
 *       icmp, a protocol alone) are skipped and reported ({@code Counters.skipped}).</li>
 *   <li>{@link org.poolwarden.enforce.KernelEnforcer}: reconcile by diff every slow tick (cgroup2 groups → nftables →
 *       HTB trees → CPU groups → cgroup2 placement → removal of what is no longer wanted); {@code release()} for
 *       monitor mode; {@code cleanup()} for {@code poolwarden cleanup} (no config needed).</li>
 *   <li>{@link org.poolwarden.enforce.Cgroup2Groups}: on hybrid hosts the app's processes are also placed in
 *       {@code <cgroup2 mount>/<root>/<app>}, only so that {@code socket cgroupv2} can match their sockets; each
 *       process goes back to the cgroup it came from when the group goes (to the hierarchy root after a restart).</li>
 *   <li>{@link org.poolwarden.enforce.KernelSampler}: CPU from the app's cgroup while enforced, else from its
 *       processes' /proc times; TCP bytes per app from sock_diag ({@link org.poolwarden.enforce.SockDiag}) in both
 *       modes, since monitor mode may create no counter; HTB class and nftables counters while enforced.</li>
 *   <li>{@link org.poolwarden.enforce.HostEnforcement} and {@link org.poolwarden.enforce.EnforcedAgent}: the wiring
 *       for this host (cgroup layout, network namespace, cgroup root).</li>
 * </ul>
 *
 * <h2>Limits</h2>
 * <ul>
 *   <li>Ingress shaping (IFB) is wired ({@code Settings.ingressPipes}) but the config has no field for it yet; its
 *       u32 classifiers cover IPv4 rules with single ports only.</li>
 *   <li>A new app inserted before others shifts their class ids (one reconcile, established connections keep their
 *       old mark until it is restored from the new map).</li>
 *   <li>Monitor-mode bandwidth is TCP payload only; sockets that open and close between two samples are not seen.</li>
 * </ul>
 */
package org.poolwarden.enforce;
