package org.poolwarden.exchange.peers;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;

/**
 * A JGroups member for the side-by-side membership benchmark: the shipped {@code udp.xml} stack (UDP multicast,
 * PING, MERGE3, FD_SOCK2, FD_ALL3, VERIFY_SUSPECT2, GMS, ...) bound to this namespace's address, either as shipped
 * ({@code --profile defaults}) or with a faster FD_ALL3 ({@code --profile tuned}: timeout 2 s, interval 500 ms).
 * Prints view changes as JOINED / FAILED, suspicions raised by the failure detectors (FD_SOCK2, FD_ALL3) as SUSPECT,
 * and suspicions VERIFY_SUSPECT2 confirmed (passed up to GMS for exclusion) as VERIFIED.
 *
 * <pre>--name h3 --bind 10.77.7.3 [--profile defaults|tuned]</pre>
 */
public final class JGroupsPeerMain {
    public static final String TUNED_FD_ALL3 = "<FD_ALL3 timeout=\"2s\" interval=\"500ms\"/>";

    private JGroupsPeerMain() {
    }

    /** Reports SUSPECT events passing up through this point of the stack. */
    static final class SuspectTap extends Protocol {
        private final String label;

        SuspectTap(String label) {
            this.label = label;
        }

        @Override
        public Object up(Event evt) {
            if (evt.getType() == Event.SUSPECT) {
                Collection<Address> suspects = evt.getArg();
                for (Address a : suspects) {
                    PeerOut.event(label, a.toString(), "jgroups");
                }
            }
            return up_prot.up(evt);
        }
    }

    public static void main(String[] args) throws Exception {
        String name = PeerOut.arg(args, "--name", null);
        String bind = PeerOut.arg(args, "--bind", null);
        String profile = PeerOut.arg(args, "--profile", "defaults");
        String xml;
        try (InputStream in = JChannel.class.getClassLoader().getResourceAsStream("udp.xml")) {
            xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        xml = replaceOnce(xml, "<UDP", "<UDP bind_addr=\"" + bind + "\"");
        if (profile.equals("tuned")) {
            xml = replaceOnce(xml, "<FD_ALL3/>", TUNED_FD_ALL3);
        } else if (!profile.equals("defaults")) {
            throw new IllegalArgumentException("--profile defaults|tuned, not " + profile);
        }
        JChannel ch = new JChannel(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        ch.name(name);
        ProtocolStack stack = ch.getProtocolStack();
        stack.insertProtocol(new SuspectTap("SUSPECT"), ProtocolStack.Position.ABOVE, FD_ALL3.class);
        stack.insertProtocol(new SuspectTap("VERIFIED"), ProtocolStack.Position.ABOVE, VERIFY_SUSPECT2.class);
        ch.setReceiver(new Receiver() {
            private Set<String> last = Set.of(name);

            @Override
            public synchronized void viewAccepted(View v) {
                Set<String> now = new TreeSet<>();
                for (Address a : v.getMembers()) {
                    now.add(a.toString());
                }
                for (String m : now) {
                    if (!last.contains(m) && !m.equals(name)) {
                        PeerOut.event("JOINED", m, "view " + v.getViewId());
                    }
                }
                for (String m : last) {
                    if (!now.contains(m) && !m.equals(name)) {
                        PeerOut.event("FAILED", m, "view " + v.getViewId());
                    }
                }
                last = now;
            }
        });
        ch.connect("poolwarden-bench");
        FD_ALL3 fd = stack.findProtocol(FD_ALL3.class);
        VERIFY_SUSPECT2 vs = stack.findProtocol(VERIFY_SUSPECT2.class);
        PeerOut.ready("jgroups-" + profile, "jgroups " + org.jgroups.Version.printVersion() + " FD_ALL3 timeout=" + fd.getTimeout()
                + "ms interval=" + fd.getInterval() + "ms VERIFY_SUSPECT2 timeout=" + vs.getTimeout() + "ms");
        PeerOut.runUntilKilled();
    }

    static String replaceOnce(String s, String what, String with) {
        int i = s.indexOf(what);
        if (i < 0 || s.indexOf(what, i + 1) >= 0) {
            throw new IllegalStateException("udp.xml: expected exactly one " + what);
        }
        return s.substring(0, i) + with + s.substring(i + what.length());
    }
}
