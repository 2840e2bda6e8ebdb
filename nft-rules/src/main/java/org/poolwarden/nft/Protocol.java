package org.poolwarden.nft;

import java.util.Locale;

/** The transport protocol a flow rule matches. */
public enum Protocol {
    TCP(6), UDP(17), ANY(-1);

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    /** The IP protocol number; -1 for {@link #ANY}. */
    public int number() {
        return number;
    }

    public static Protocol parse(String text, String field) {
        if (text == null || text.isBlank()) {
            return ANY;
        }
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "tcp" -> TCP;
            case "udp" -> UDP;
            case "any", "*" -> ANY;
            default -> throw new InvalidFlowConfigException(field,
                    ClassId.quote(text) + " is not a known protocol (tcp, udp or any)");
        };
    }
}
