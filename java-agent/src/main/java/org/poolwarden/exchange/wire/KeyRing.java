package org.poolwarden.exchange.wire;

import java.util.Optional;

/**
 * The keys a node accepts: it signs with the primary and verifies with the primary or the secondary, so a key can be
 * rotated host by host (add the new key as secondary everywhere, then make it primary, then drop the old one)
 * without a moment in which two hosts cannot talk.
 */
public record KeyRing(PoolKey primary, Optional<PoolKey> secondary) {
    public KeyRing {
        if (primary == null) {
            throw new IllegalArgumentException("key ring needs a primary key");
        }
        secondary = secondary == null ? Optional.empty() : secondary;
        if (secondary.isPresent() && secondary.get().id() == primary.id()) {
            throw new IllegalArgumentException("primary and secondary pool keys share id " + primary.id());
        }
    }

    public static KeyRing of(PoolKey primary) {
        return new KeyRing(primary, Optional.empty());
    }

    public static KeyRing of(PoolKey primary, PoolKey secondary) {
        return new KeyRing(primary, Optional.of(secondary));
    }

    /** The key with this id, if this ring accepts it. */
    public Optional<PoolKey> byId(int id) {
        if (primary.id() == id) {
            return Optional.of(primary);
        }
        return secondary.filter(k -> k.id() == id);
    }
}
