package org.poolwarden.pool.policy;

import java.util.Comparator;

/**
 * One policy as it travels between hosts.
 *
 * @param key      what the policy is about, e.g. {@code cpu/web} or {@code pipe/wan/web}
 * @param version  per key, incremented by whoever changes it (Lamport style: one above the highest seen)
 * @param originId host that made this version; breaks ties between concurrent updates
 * @param body     canonical text of the policy (e.g. compact JSON); empty for a deletion
 * @param deleted  tombstone: the policy was removed (kept so that an old copy cannot bring it back)
 */
public record VersionedPolicy(String key, long version, String originId, String body, boolean deleted) {

    public VersionedPolicy {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("policy: key is empty");
        }
        if (version < 0) {
            throw new IllegalArgumentException("policy " + key + ": version=" + version + " must be >= 0");
        }
        if (originId == null || originId.isBlank()) {
            throw new IllegalArgumentException("policy " + key + ": originId is empty");
        }
        if (body == null) {
            throw new IllegalArgumentException("policy " + key + ": body is null");
        }
    }

    public static VersionedPolicy set(String key, long version, String origin, String body) {
        return new VersionedPolicy(key, version, origin, body, false);
    }

    public static VersionedPolicy delete(String key, long version, String origin) {
        return new VersionedPolicy(key, version, origin, "", true);
    }

    /**
     * Total order that decides conflicts: highest version, then highest origin id. The last two fields only order
     * two different copies claiming the same (version, origin), which an honest origin never produces; ordering
     * them anyway keeps the merge commutative even then.
     */
    public static final Comparator<VersionedPolicy> PRECEDENCE = Comparator
            .comparingLong(VersionedPolicy::version)
            .thenComparing(VersionedPolicy::originId)
            .thenComparing(VersionedPolicy::deleted)
            .thenComparing(VersionedPolicy::body);

    /** True if this copy wins over {@code other} for the same key. */
    public boolean supersedes(VersionedPolicy other) {
        return PRECEDENCE.compare(this, other) > 0;
    }
}
