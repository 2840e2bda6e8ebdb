package org.poolwarden.config;

/** The formats a config file may be in. Detected from content, because Ansible's validate hook passes a temp file. */
public enum ConfigFormat {
    YAML, JSON, XML;

    /** By the first significant character: '{' or '[' is JSON, '<' is XML (the seed's rule files), else YAML. */
    public static ConfigFormat detect(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\uFEFF' || Character.isWhitespace(c)) continue;
            if (c == '{' || c == '[') return JSON;
            if (c == '<') return XML;
            return YAML;
        }
        return YAML;
    }
}
