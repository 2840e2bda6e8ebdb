package org.poolwarden.exchange.peers;

import io.scalecube.cluster.Cluster;
import io.scalecube.cluster.ClusterConfig;
import io.scalecube.cluster.ClusterImpl;
import io.scalecube.cluster.ClusterMessageHandler;
import io.scalecube.cluster.Member;
import io.scalecube.cluster.fdetector.FailureDetectorEvent;
import io.scalecube.cluster.membership.MemberStatus;
import io.scalecube.cluster.membership.MembershipEvent;
import io.scalecube.transport.netty.tcp.TcpTransportFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;

/**
 * A scalecube-cluster member (SWIM over TCP, reactor-netty) with {@code ClusterConfig.defaultLanConfig()}, for the
 * side-by-side membership benchmark. Prints membership events as JOINED / FAILED / LEFT. Suspicion is not part of
 * scalecube's public events, so it is read from the library's internals (reflection, observation only): SUSPECT
 * when this member's own failure detector finds a member unreachable or its membership table marks one SUSPECT
 * (also through gossip), ALIVE when the table returns a suspect to ALIVE (a refutation).
 *
 * <pre>--name h3 --bind 10.77.7.3 --port 4801 [--seed 10.77.7.1:4801]</pre>
 */
public final class ScalecubePeerMain {
    private ScalecubePeerMain() {
    }

    public static void main(String[] args) throws Exception {
        String name = PeerOut.arg(args, "--name", null);
        String bind = PeerOut.arg(args, "--bind", null);
        int port = Integer.parseInt(PeerOut.arg(args, "--port", "4801"));
        String seed = PeerOut.arg(args, "--seed", "");
        ClusterConfig base = ClusterConfig.defaultLanConfig();
        Cluster cluster = new ClusterImpl(base)
                .config(c -> c.memberAlias(name).externalHost(bind).externalPort(port))
                .transport(t -> t.port(port))
                .transportFactory(TcpTransportFactory::new)
                .membership(m -> seed.isEmpty() ? m : m.seedMembers(List.of(seed)))
                .handler(c -> new ClusterMessageHandler() {
                    @Override
                    public void onMembershipEvent(MembershipEvent e) {
                        String type = switch (e.type()) {
                            case ADDED -> "JOINED";
                            case REMOVED -> "FAILED";
                            case LEAVING -> "LEFT";
                            default -> null;
                        };
                        if (type != null) {
                            PeerOut.event(type, alias(e.member()), "membership");
                        }
                    }
                })
                .startAwait();
        watchSuspicion(cluster);
        PeerOut.ready("scalecube", "scalecube-cluster defaultLanConfig: " + base.failureDetectorConfig() + " "
                + base.membershipConfig() + " " + base.gossipConfig());
        PeerOut.runUntilKilled();
    }

    static String alias(Member m) {
        return m.alias() != null ? m.alias() : m.id();
    }

    static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    @SuppressWarnings("unchecked")
    static void watchSuspicion(Cluster cluster) throws ReflectiveOperationException {
        Object fd = field(cluster, "failureDetector");
        Flux<FailureDetectorEvent> fdEvents = (Flux<FailureDetectorEvent>) fd.getClass().getMethod("listen").invoke(fd);
        fdEvents.subscribe(e -> {
            if (e.status() == MemberStatus.SUSPECT) {
                PeerOut.event("SUSPECT", alias(e.member()), "failure-detector");
            }
        });
        Object membership = field(cluster, "membership");
        Map<String, Object> table = (Map<String, Object>) field(membership, "membershipTable");
        // MembershipRecord is package-private: read it through its accessors
        Class<?> recordClass = Class.forName("io.scalecube.cluster.membership.MembershipRecord");
        Method memberOf = recordClass.getDeclaredMethod("member");
        Method statusOf = recordClass.getDeclaredMethod("status");
        memberOf.setAccessible(true);
        statusOf.setAccessible(true);
        Thread poll = new Thread(() -> {
            Map<String, MemberStatus> last = new HashMap<>();
            while (true) {
                try {
                    for (Object r : List.copyOf(table.values())) {
                        String a = alias((Member) memberOf.invoke(r));
                        MemberStatus status = (MemberStatus) statusOf.invoke(r);
                        MemberStatus was = last.put(a, status);
                        if (status == MemberStatus.SUSPECT && was != MemberStatus.SUSPECT) {
                            PeerOut.event("SUSPECT", a, "membership-table");
                        } else if (status == MemberStatus.ALIVE && was == MemberStatus.SUSPECT) {
                            PeerOut.event("ALIVE", a, "membership-table");
                        }
                    }
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException | ReflectiveOperationException e) {
                    // the table is the library's, written by its scheduler thread: a racy read is retried
                }
            }
        }, "suspicion-watch");
        poll.setDaemon(true);
        poll.start();
    }
}
