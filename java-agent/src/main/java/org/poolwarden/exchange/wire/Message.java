package org.poolwarden.exchange.wire;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Objects;

/** One record of a packet. Records are small, immutable and carry no references into buffers. */
public sealed interface Message {

    int type();

    /** Direct probe of {@code target}; the receiver answers with {@link Ack} when it is {@code target}. */
    record Ping(int seq, long target) implements Message {
        public int type() {
            return RecordType.PING;
        }
    }

    record Ack(int seq) implements Message {
        public int type() {
            return RecordType.ACK;
        }
    }

    /** Lifeguard: an intermediary tells the requester it got no ack in time (so the requester's own link is fine). */
    record Nack(int seq) implements Message {
        public int type() {
            return RecordType.NACK;
        }
    }

    /** Ask the receiver to probe {@code target} at {@code targetAddress} on our behalf. */
    record PingReq(int seq, long target, InetSocketAddress targetAddress) implements Message {
        public PingReq {
            Objects.requireNonNull(targetAddress, "targetAddress");
        }

        public int type() {
            return RecordType.PING_REQ;
        }
    }

    record Alive(long node, int incarnation, InetSocketAddress address) implements Message {
        public Alive {
            Objects.requireNonNull(address, "address");
        }

        public int type() {
            return RecordType.ALIVE;
        }
    }

    record Suspect(long node, int incarnation, long from) implements Message {
        public int type() {
            return RecordType.SUSPECT;
        }
    }

    /** Declared failed by {@code from}; {@code from == node} means a graceful leave. */
    record Dead(long node, int incarnation, long from) implements Message {
        public int type() {
            return RecordType.DEAD;
        }

        public boolean isLeave() {
            return node == from;
        }
    }

    /** One disseminated value: (origin, key) identifies it, the highest version wins. */
    record Entry(long origin, String key, long version, int ttl, byte[] value) implements Message {
        public Entry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (ttl < 0 || ttl > 255) {
                throw new IllegalArgumentException("entry ttl out of 0..255: " + ttl);
            }
        }

        public int type() {
            return RecordType.ENTRY;
        }

        public Entry withTtl(int newTtl) {
            return new Entry(origin, key, version, newTtl, value);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.origin == origin && e.key.equals(key) && e.version == version
                    && e.ttl == ttl && Arrays.equals(e.value, value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(origin, key, version, ttl, Arrays.hashCode(value));
        }

        @Override
        public String toString() {
            return "Entry[origin=" + origin + ", key=" + key + ", version=" + version + ", ttl=" + ttl
                    + ", value=" + value.length + " bytes]";
        }
    }

    /**
     * Anti-entropy summary of everything the sender holds from {@code origin}. {@code reply} asks the receiver
     * to answer with its own digest when the receiver is behind, so one exchange repairs both sides.
     */
    record Digest(long origin, long maxVersion, int count, int hash, boolean reply) implements Message {
        public int type() {
            return RecordType.DIGEST;
        }
    }

    /**
     * Names one version of one entry in 12 bytes instead of the ~60 of the entry: the origin and the low 32 bits of
     * the version. Versions of one origin are unique across its keys (they count microseconds), so the pair is
     * unambiguous for 71 minutes, far longer than an announcement is of use.
     */
    record EntryId(long origin, int versionLow) {
        public static EntryId of(Entry e) {
            return new EntryId(e.origin(), (int) e.version());
        }
    }

    /** Lazy push: the sender holds these entries; a receiver that lacks one asks with {@link IWant}. */
    record IHave(java.util.List<EntryId> ids) implements Message {
        public IHave {
            ids = java.util.List.copyOf(ids);
            if (ids.isEmpty() || ids.size() > MessageCodec.MAX_IDS) {
                throw new IllegalArgumentException("ihave holds 1.." + MessageCodec.MAX_IDS + " ids, got " + ids.size());
            }
        }

        public int type() {
            return RecordType.IHAVE;
        }
    }

    /** Lazy push: the sender lacks these entries and asks the receiver (which announced them) for them. */
    record IWant(java.util.List<EntryId> ids) implements Message {
        public IWant {
            ids = java.util.List.copyOf(ids);
            if (ids.isEmpty() || ids.size() > MessageCodec.MAX_IDS) {
                throw new IllegalArgumentException("iwant holds 1.." + MessageCodec.MAX_IDS + " ids, got " + ids.size());
            }
        }

        public int type() {
            return RecordType.IWANT;
        }
    }

    /** Join request; the packet also carries the joiner's {@link Alive}. Answered with the member list. */
    record Join() implements Message {
        public int type() {
            return RecordType.JOIN;
        }
    }
}
