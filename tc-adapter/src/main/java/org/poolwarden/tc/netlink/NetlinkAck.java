package org.poolwarden.tc.netlink;

import java.nio.ByteBuffer;

/**
 * A decoded NLMSG_ERROR: {@code errno} 0 is a plain acknowledgement. {@code message} is the kernel's extended-ack
 * text (an error's reason, or a warning on success), or null.
 */
public record NetlinkAck(int seq, int errno, int originalType, String message) {
    public boolean ok() {
        return errno == 0;
    }

    /** Decodes an NLMSG_ERROR message; {@code scratch} must cover type NLMSGERR_ATTR_MSG. */
    public static NetlinkAck decode(NetlinkMessage m, Attributes scratch) {
        if (m.type() != Rtnl.NLMSG_ERROR) {
            throw new IllegalArgumentException("not an NLMSG_ERROR: " + Rtnl.typeName(m.type()));
        }
        if (m.length() < Rtnl.NLMSG_HDRLEN + 4) {
            throw new MalformedMessageException("NLMSG_ERROR of " + m.length() + " bytes has no error code");
        }
        ByteBuffer b = m.buffer();
        int p = m.payload();
        int code = b.getInt(p);
        boolean hasOriginal = m.length() >= Rtnl.NLMSG_HDRLEN + 4 + Rtnl.NLMSG_HDRLEN;
        int originalType = hasOriginal ? Short.toUnsignedInt(b.getShort(p + 8)) : -1;
        String text = null;
        if ((m.flags() & Rtnl.NLM_F_ACK_TLVS) != 0 && hasOriginal) {
            // With NLM_F_CAPPED only the original header is echoed; otherwise the whole original message.
            int originalLength = (m.flags() & Rtnl.NLM_F_CAPPED) != 0 ? Rtnl.NLMSG_HDRLEN : Rtnl.align(b.getInt(p + 4));
            int tlvs = p + 4 + originalLength;
            if (tlvs <= m.end()) {
                text = scratch.parse(b, tlvs, m.end()).string(Rtnl.NLMSGERR_ATTR_MSG);
            }
        }
        return new NetlinkAck(m.seq(), -code, originalType, text);
    }
}
