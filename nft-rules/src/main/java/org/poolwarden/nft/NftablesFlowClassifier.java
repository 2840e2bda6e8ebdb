package org.poolwarden.nft;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.poolwarden.os.KernelException;
import org.poolwarden.os.Nftables;

/**
 * The classifier over libnftables: reads as JSON ({@code list table}, {@code list counters}), writes as one text
 * batch per apply (text because nft 1.0.6's JSON parser cannot express {@code socket cgroupv2}, and a batch must go
 * through one parser to stay one transaction).
 */
public final class NftablesFlowClassifier extends ReconcilingFlowClassifier {
    /** nftables resolves {@code socket cgroupv2} paths under this directory. */
    public static final Path CGROUP_FS = Path.of("/sys/fs/cgroup");

    private final Nftables nft;
    private final NfTablesNetlink netlink;
    private final boolean ownsContext;
    private final Path cgroup2Mount;

    /**
     * @param nft          the libnftables context (its network namespace is the one classified)
     * @param cgroupPrefix where cgroup2 is mounted relative to /sys/fs/cgroup ("unified" on hybrid hosts, "" on v2)
     */
    public NftablesFlowClassifier(Nftables nft, String cgroupPrefix) {
        this(nft, null, cgroupPrefix, false);
    }

    /**
     * @param netns the namespace {@code nft} works in ({@code null}: this thread's); the classifier reads the
     *              generation id and the counters there over its own netlink socket
     */
    private NftablesFlowClassifier(Nftables nft, Path netns, String cgroupPrefix, boolean ownsContext) {
        super(null);
        this.nft = nft;
        this.netlink = new NfTablesNetlink(netns);
        this.ownsContext = ownsContext;
        this.cgroup2Mount = cgroupPrefix == null || cgroupPrefix.isEmpty() ? CGROUP_FS : CGROUP_FS.resolve(cgroupPrefix);
        renderer(new TableRenderer(cgroupPrefix, this::cgroupId));
    }

    /** Opens its own context in this thread's network namespace, with the cgroup2 prefix this host needs. */
    public static NftablesFlowClassifier open() {
        return open(null, detectCgroupPrefix());
    }

    /** Opens (and owns) a context for the network namespace at {@code netns} ({@code null}: this thread's). */
    public static NftablesFlowClassifier open(Path netns, String cgroupPrefix) {
        Nftables nft = Nftables.open(netns);
        try {
            return new NftablesFlowClassifier(nft, netns, cgroupPrefix, true);
        } catch (RuntimeException e) {
            nft.close();
            throw e;
        }
    }

    /** "unified" when cgroup2 is mounted at /sys/fs/cgroup/unified (hybrid hosts), else "". */
    public static String detectCgroupPrefix() {
        return Files.exists(CGROUP_FS.resolve("unified/cgroup.controllers"))
                || Files.exists(CGROUP_FS.resolve("unified/cgroup.procs")) ? TableRenderer.HYBRID_CGROUP2_PREFIX : "";
    }

    @Override
    void precheck(DesiredState desired) {
        for (int i = 0; i < desired.apps().size(); i++) {
            App a = desired.apps().get(i);
            if (a.cgroup() != null && !Files.isDirectory(cgroup2Mount.resolve(a.cgroup()))) {
                throw new InvalidFlowConfigException("apps[" + i + "].cgroup", ClassId.quote(a.cgroup())
                        + " does not exist under " + cgroup2Mount);
            }
        }
    }

    /** The cgroup's id as the kernel's socket match compares it: the inode of its directory in cgroup2. */
    long cgroupId(String path) {
        try {
            return ((Number) Files.getAttribute(cgroup2Mount.resolve(path), "unix:ino")).longValue();
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return 0;
        }
    }

    @Override
    Object environment(DesiredState desired) {
        java.util.List<Long> ids = new java.util.ArrayList<>();
        for (App a : desired.apps()) {
            if (a.cgroup() != null) {
                ids.add(cgroupId(a.cgroup()));
            }
        }
        return ids;
    }

    @Override
    TableState read() {
        try {
            return KernelTableReader.table(nft.run("list table " + Op.T));
        } catch (KernelException e) {
            if (e.getMessage().contains("No such file or directory")) {
                return TableState.absent();
            }
            throw e;
        }
    }

    @Override
    void send(Batch batch) {
        nft.run(batch.text());
    }

    /** Over netlink: libnftables would first fetch every set element of the table into its cache. */
    @Override
    Map<String, Traffic> readCounters() {
        return netlink.counters(TableState.TABLE);
    }

    @Override
    long generation() {
        return netlink.generation();
    }

    @Override
    public void close() {
        netlink.close();
        if (ownsContext) {
            nft.close();
        }
    }
}
