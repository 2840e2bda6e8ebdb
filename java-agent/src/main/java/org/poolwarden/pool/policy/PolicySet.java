package org.poolwarden.pool.policy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The pool's policies, one winning copy per key: a last-writer-wins map (a state-based CRDT). {@link #merge} is
 * commutative, associative and idempotent, so hosts that have seen the same updates in any order, any number of
 * times, hold equal sets. Immutable.
 */
public final class PolicySet {

    private static final PolicySet EMPTY = new PolicySet(new TreeMap<>());

    private final SortedMap<String, VersionedPolicy> byKey;

    private PolicySet(TreeMap<String, VersionedPolicy> byKey) {
        this.byKey = Collections.unmodifiableSortedMap(byKey);
    }

    public static PolicySet empty() {
        return EMPTY;
    }

    public static PolicySet of(Collection<VersionedPolicy> entries) {
        PolicySet s = EMPTY;
        for (VersionedPolicy p : entries) {
            s = s.with(p);
        }
        return s;
    }

    /** This set with one more copy merged in (the copy is dropped if the held one wins). */
    public PolicySet with(VersionedPolicy p) {
        VersionedPolicy held = byKey.get(p.key());
        if (held != null && !p.supersedes(held)) {
            return this;
        }
        TreeMap<String, VersionedPolicy> m = new TreeMap<>(byKey);
        m.put(p.key(), p);
        return new PolicySet(m);
    }

    /** Join of two sets: per key, the copy with the highest precedence. */
    public static PolicySet merge(PolicySet a, PolicySet b) {
        if (a.byKey.size() < b.byKey.size()) {
            PolicySet t = a;
            a = b;
            b = t;
        }
        TreeMap<String, VersionedPolicy> m = new TreeMap<>(a.byKey);
        for (VersionedPolicy p : b.byKey.values()) {
            m.merge(p.key(), p, (x, y) -> y.supersedes(x) ? y : x);
        }
        return new PolicySet(m);
    }

    /** A local change: one version above the highest this host has seen for the key. */
    public VersionedPolicy nextVersion(String key, String origin, String body) {
        return VersionedPolicy.set(key, version(key) + 1, origin, body);
    }

    public VersionedPolicy nextDeletion(String key, String origin) {
        return VersionedPolicy.delete(key, version(key) + 1, origin);
    }

    private long version(String key) {
        VersionedPolicy held = byKey.get(key);
        return held == null ? 0 : held.version();
    }

    /** Entries held here that {@code other} lacks or holds an older copy of: what to send it. */
    public List<VersionedPolicy> newerThan(PolicySet other) {
        List<VersionedPolicy> out = new ArrayList<>();
        for (VersionedPolicy p : byKey.values()) {
            VersionedPolicy theirs = other.byKey.get(p.key());
            if (theirs == null || p.supersedes(theirs)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Live (not deleted) policy for a key. */
    public Optional<VersionedPolicy> get(String key) {
        VersionedPolicy p = byKey.get(key);
        return p == null || p.deleted() ? Optional.empty() : Optional.of(p);
    }

    /** All copies including tombstones, sorted by key. */
    public Collection<VersionedPolicy> entries() {
        return byKey.values();
    }

    public int size() {
        return byKey.size();
    }

    /** Short fingerprint of the whole set, to compare with peers cheaply (anti-entropy). */
    public String digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (VersionedPolicy p : byKey.values()) {
                md.update((p.key() + '\u0000' + p.version() + '\u0000' + p.originId() + '\u0000' + p.deleted()
                        + '\u0000' + p.body() + '\u0001').getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PolicySet s && s.byKey.equals(byKey);
    }

    @Override
    public int hashCode() {
        return byKey.hashCode();
    }

    @Override
    public String toString() {
        return "PolicySet" + byKey.values();
    }
}
