package org.poolwarden.exchange.membership;

import java.time.Duration;

/**
 * How members declared DEAD get a chance to come back when they were only cut off (a partition, a long stall): SWIM
 * never talks to a member it holds dead, and the accused never hears the Dead news about itself once its
 * transmissions ran out during the cut, so without this both sides wait for each other forever. LEFT members are
 * never revived by any of this, and only the accused itself can refute (an Alive with a higher incarnation), so a
 * host that is really gone stays dead.
 *
 * @param noticeInterval  a packet from a member we hold DEAD is answered with a direct Dead about it, at most this
 *                        often per member, so it refutes at once (0: off)
 * @param gossipToTheDead for this long after it was declared dead a member stays a gossip target, so it hears the
 *                        news and refutes (memberlist's GossipToTheDeadTime; 0: off)
 * @param reconnectInterval this host sends one Dead(target) plus its own Alive to one random DEAD member this often,
 *                        until the member is reaped: two sides that both declared each other dead find each other
 *                        again (Serf's reconnect; 0: off)
 * @param reconnectFor    how long a DEAD member stays a reconnect target after it was reaped (its entries are gone
 *                        with the reap; only its id and address are kept): a partition longer than the reap time
 *                        heals too (Serf's reconnect_timeout, 24 h there; 0: only until the reap)
 */
public record DeadRecovery(Duration noticeInterval, Duration gossipToTheDead, Duration reconnectInterval,
                           Duration reconnectFor) {

    /**
     * LAN: notice at most once a second, gossip to the dead for 30 s, one reconnect packet every 2 s, to members
     * dead for up to 24 h.
     */
    public static DeadRecovery lan() {
        return new DeadRecovery(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofHours(24));
    }

    public static DeadRecovery off() {
        return new DeadRecovery(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }

    public DeadRecovery {
        check("noticeInterval", noticeInterval);
        check("gossipToTheDead", gossipToTheDead);
        check("reconnectInterval", reconnectInterval);
        check("reconnectFor", reconnectFor);
    }

    private static void check(String field, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("DeadRecovery." + field + " must be >= 0, got " + d);
        }
    }
}
