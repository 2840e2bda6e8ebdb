package org.poolwarden.tc.netlink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.AlphaChars;
import org.junit.jupiter.api.Test;

class NetlinkWriterTest {
    static ByteBuffer buffer() {
        return ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.position()];
        b.get(0, out);
        return out;
    }

    @Test
    void headerAndLengthsAreBackFilled() {
        ByteBuffer b = buffer();
        NetlinkWriter w = new NetlinkWriter(b);
        w.beginMessage(Rtnl.RTM_NEWQDISC, 0x605, 7, 0).tcmsg(2, 0x10000, -1, 0);
        w.string(Rtnl.TCA_KIND, "htb");
        int nest = w.beginNested(Rtnl.TCA_OPTIONS);
        w.u8(9, 0xab);
        w.endNested(nest);
        int len = w.endMessage();
        // 16 header + 20 tcmsg + 8 kind ("htb\0") + 4 nest header + 8 (u8 attr padded)
        assertEquals(56, len);
        assertEquals(56, b.getInt(0));
        assertEquals(Rtnl.RTM_NEWQDISC, b.getShort(4));
        assertEquals(0x605, b.getShort(6));
        assertEquals(7, b.getInt(8));
        assertEquals(8, b.getShort(36), "kind length counts the NUL, not the padding");
        assertEquals(12, b.getShort(44), "nest length includes the padded inner attribute");
        assertEquals(5, b.getShort(48), "u8 attribute length is 5");
        assertEquals((byte) 0xab, b.get(52));
        assertArrayEquals(new byte[3], new byte[] {b.get(53), b.get(54), b.get(55)}, "padding is zero");
    }

    @Test
    void refusesUnendedAndUnbegunMessages() {
        NetlinkWriter w = new NetlinkWriter(buffer());
        assertThrows(IllegalStateException.class, w::endMessage);
        w.beginMessage(1, 0, 0, 0);
        assertThrows(IllegalStateException.class, () -> w.beginMessage(1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new NetlinkWriter(ByteBuffer.allocate(8).order(ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN
                        ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)));
    }

    @Property
    void attributesRoundTrip(@ForAll @Size(max = 20) List<@IntRange(min = 0, max = 60) Integer> kinds,
                             @ForAll @AlphaChars @StringLength(max = 30) String text, @ForAll long wide) {
        ByteBuffer b = buffer();
        NetlinkWriter w = new NetlinkWriter(b);
        w.beginMessage(Rtnl.RTM_NEWTCLASS, 1, 1, 0).tcmsg(1, 2, 3, 4);
        int nest = w.beginNested(Rtnl.TCA_OPTIONS);
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            int type = 10 + i;
            types.add(type);
            switch (kinds.get(i) % 4) {
                case 0 -> w.u32(type, kinds.get(i));
                case 1 -> w.u64(type, wide);
                case 2 -> w.string(type, text);
                default -> w.u16(type, kinds.get(i));
            }
        }
        w.endNested(nest);
        w.string(Rtnl.TCA_KIND, text);
        w.endMessage();
        assertEquals(0, b.position() % 4);

        List<NetlinkMessage> seen = new ArrayList<>();
        NetlinkMessage.forEach(b, 0, b.position(), m -> {
            seen.add(m);
            assertEquals(4, m.tcInfo());
            Attributes top = m.attributes(Rtnl.TCMSG_LEN, new Attributes(16));
            assertEquals(text, top.string(Rtnl.TCA_KIND));
            Attributes in = new Attributes(40).parse(b, top.offset(Rtnl.TCA_OPTIONS), top.end(Rtnl.TCA_OPTIONS));
            for (int i = 0; i < kinds.size(); i++) {
                int type = types.get(i);
                assertTrue(in.has(type));
                switch (kinds.get(i) % 4) {
                    case 0 -> assertEquals(kinds.get(i), in.u32(type, -1));
                    case 1 -> assertEquals(wide, in.u64(type, -1));
                    case 2 -> assertEquals(text, in.string(type));
                    default -> assertEquals(kinds.get(i).shortValue(), b.getShort(in.offset(type)));
                }
            }
        });
        assertEquals(1, seen.size());
    }

    @Test
    void truncatedInputIsRejected() {
        ByteBuffer b = buffer();
        NetlinkWriter w = new NetlinkWriter(b);
        w.beginMessage(1, 0, 0, 0).u32(1, 5);
        w.endMessage();
        assertThrows(MalformedMessageException.class, () -> NetlinkMessage.forEach(b, 0, b.position() - 4, m -> { }));
        assertThrows(MalformedMessageException.class, () -> new Attributes(4).parse(b, 16, 22));
    }

    @Property
    void garbageNeverEscapesAsAnythingButMalformed(@ForAll @Size(max = 200) byte[] junk) {
        ByteBuffer b = ByteBuffer.wrap(junk).order(ByteOrder.nativeOrder());
        try {
            NetlinkMessage.forEach(b, 0, junk.length, m -> {
                if (m.type() == Rtnl.NLMSG_ERROR && m.length() >= 20) {
                    NetlinkAck.decode(m, new Attributes(8));
                } else {
                    new Attributes(16).parse(b, m.payload(), m.end());
                }
            });
        } catch (MalformedMessageException expected) {
            // rejected cleanly
        }
    }

    @Test
    void extendedAckTextIsDecoded() {
        // An NLMSG_ERROR as the kernel sends it with NETLINK_EXT_ACK: capped original header, then the TLVs.
        ByteBuffer b = buffer();
        NetlinkWriter w = new NetlinkWriter(b);
        w.beginMessage(Rtnl.NLMSG_ERROR, Rtnl.NLM_F_CAPPED | Rtnl.NLM_F_ACK_TLVS, 42, 0);
        b.putInt(-2);
        b.putInt(56).putShort((short) Rtnl.RTM_DELQDISC).putShort((short) 5).putInt(42).putInt(0);
        w.string(Rtnl.NLMSGERR_ATTR_MSG, "Failed to find qdisc with specified handle.");
        w.u32(Rtnl.NLMSGERR_ATTR_OFFS, 20);
        w.endMessage();
        List<NetlinkAck> acks = new ArrayList<>();
        NetlinkMessage.forEach(b, 0, b.position(), m -> acks.add(NetlinkAck.decode(m, new Attributes(8))));
        assertEquals(new NetlinkAck(42, 2, Rtnl.RTM_DELQDISC, "Failed to find qdisc with specified handle."), acks.get(0));

        // A plain ack without TLVs, uncapped (the whole original message echoed).
        b.clear();
        w.beginMessage(Rtnl.NLMSG_ERROR, 0, 43, 0);
        b.putInt(0);
        b.putInt(16).putShort((short) Rtnl.RTM_NEWQDISC).putShort((short) 5).putInt(43).putInt(0);
        w.endMessage();
        acks.clear();
        NetlinkMessage.forEach(b, 0, b.position(), m -> acks.add(NetlinkAck.decode(m, new Attributes(8))));
        assertTrue(acks.get(0).ok());
        assertNull(acks.get(0).message());
    }
}
