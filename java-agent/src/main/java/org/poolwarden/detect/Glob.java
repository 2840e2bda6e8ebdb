package org.poolwarden.detect;

import java.util.regex.Pattern;

/** Shell-style globs ({@code * ? [...]}) matched against the whole text, compiled once to a regex. */
final class Glob {
    private Glob() {}

    /** The text every match starts with (up to the first wildcard): a cheap startsWith before the regex. */
    static String literalPrefix(String glob) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' || c == '?' || c == '[') break;
            if (c == '\\') {
                if (++i >= glob.length()) break;
                c = glob.charAt(i);
            }
            b.append(c);
        }
        return b.toString();
    }

    static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    int end = glob.indexOf(']', i + 2);
                    if (end < 0) {
                        re.append("\\[");
                    } else {
                        String cls = glob.substring(i + 1, end);
                        if (cls.startsWith("!")) cls = "^" + cls.substring(1);
                        re.append('[').append(cls.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                        i = end;
                    }
                }
                case '\\' -> {
                    if (i + 1 < glob.length()) re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                    else re.append("\\\\");
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
            i++;
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
