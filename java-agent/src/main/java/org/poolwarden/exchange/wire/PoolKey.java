package org.poolwarden.exchange.wire;

import java.util.Arrays;

/** A pool secret with a one-byte id carried in every packet header, so receivers know which key to verify with. */
public final class PoolKey {
    /** HMAC-SHA-256 keys shorter than 128 bits are weak; longer than the block size add nothing. */
    public static final int MIN_BYTES = 16;
    public static final int MAX_BYTES = 64;

    private final int id;
    private final byte[] secret;

    public PoolKey(int id, byte[] secret) {
        if (id < 0 || id > 255) {
            throw new IllegalArgumentException("pool key id " + id + " outside 0..255");
        }
        if (secret == null || secret.length < MIN_BYTES || secret.length > MAX_BYTES) {
            throw new IllegalArgumentException("pool key " + id + " must be " + MIN_BYTES + ".." + MAX_BYTES + " bytes, got "
                    + (secret == null ? "none" : secret.length));
        }
        this.id = id;
        this.secret = secret.clone();
    }

    public int id() {
        return id;
    }

    byte[] secret() {
        return secret.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PoolKey k && k.id == id && Arrays.equals(k.secret, secret);
    }

    @Override
    public int hashCode() {
        return id;
    }

    @Override
    public String toString() {
        return "PoolKey[" + id + "]"; // never the secret
    }
}
