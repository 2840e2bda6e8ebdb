package org.poolwarden.tc.link;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;
import org.poolwarden.tc.netlink.Attributes;
import org.poolwarden.tc.netlink.Rtnl;
import org.poolwarden.tc.netlink.RtnetlinkChannel;

/** Link operations over a channel: look up, create an IFB, set up/down, delete. */
public final class Links {
    private final RtnetlinkChannel channel;
    private final Attributes attrs = new Attributes(64);
    private final Attributes nested = new Attributes(8);

    public Links(RtnetlinkChannel channel) {
        this.channel = channel;
    }

    /** The link named {@code name}, or empty when there is none. */
    public Optional<LinkInfo> find(String name) {
        LinkCodec.writeGetByName(channel.begin(), channel.nextSeq(), name);
        List<LinkInfo> found = new ArrayList<>();
        try {
            channel.transact("interface " + name, m -> {
                if (m.type() == Rtnl.RTM_NEWLINK) {
                    found.add(LinkInfo.decode(m, attrs, nested));
                }
            });
        } catch (KernelException e) {
            if (e.is(Errno.ENODEV)) {
                return Optional.empty();
            }
            throw e;
        }
        return found.stream().findFirst();
    }

    /** The link named {@code name}; a missing one is ENODEV naming the interface. */
    public LinkInfo require(String name) {
        return find(name).orElseThrow(() -> new KernelException("find interface", name, Errno.ENODEV));
    }

    public List<LinkInfo> all() {
        List<LinkInfo> out = new ArrayList<>();
        LinkCodec.writeDumpAll(channel.begin(), channel.nextSeq());
        channel.dump("links", m -> {
            if (m.type() == Rtnl.RTM_NEWLINK) {
                out.add(LinkInfo.decode(m, attrs, nested));
            }
        });
        return out;
    }

    public LinkInfo createIfb(String name) {
        LinkCodec.writeCreate(channel.begin(), channel.nextSeq(), name, "ifb");
        channel.execute("ifb " + name);
        return require(name);
    }

    public void setUp(LinkInfo link, boolean up) {
        LinkCodec.writeSetUp(channel.begin(), channel.nextSeq(), link.index(), up);
        channel.execute("interface " + link.name());
    }

    public void delete(LinkInfo link) {
        LinkCodec.writeDelete(channel.begin(), channel.nextSeq(), link.index());
        channel.execute("interface " + link.name());
    }
}
