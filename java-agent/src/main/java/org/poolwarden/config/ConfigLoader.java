package org.poolwarden.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads and validates configs. Every entry point returns a {@link Result}: a config, or all the errors and no config —
 * never a half-valid one, so a reload can keep the running config when the new one is bad.
 */
public final class ConfigLoader {
    /** Where a packaged agent looks; overridable with --config. */
    public static final Path DEFAULT_DIR = Path.of("/etc/poolwarden");
    /** The main file in a config directory, in the order they are looked for; at most one may exist. */
    public static final List<String> MAIN_FILES = List.of("poolwarden.yaml", "poolwarden.yml", "poolwarden.json");
    /** The defaults shipped in the jar: monitor mode, a few common daemons, no policies. */
    public static final String EMBEDDED_DEFAULT = "/org/poolwarden/config/default.yaml";

    private ConfigLoader() {}

    /** A validated config, or the sorted errors that prevented one. */
    public record Result(PoolwardenConfig config, List<ConfigError> errors) {
        public Result {
            errors = List.copyOf(errors);
        }

        public boolean valid() {
            return config != null;
        }
    }

    /** Validates one text; the format (YAML, JSON, seed XML) is detected from the content, not the name. */
    public static Result parse(String file, String text) {
        List<ConfigError> errors = new ArrayList<>();
        ConfigFormat format = ConfigFormat.detect(text);
        ConfigBinder binder = new ConfigBinder(errors);
        PoolwardenConfig config;
        if (format == ConfigFormat.XML) {
            ConfigNode.MapNode root = XmlRulesReader.read(file, text, errors);
            binder.textScalars(true);
            config = root == null ? null : binder.bindRoot(root, root.fields().containsKey("pipes"));
        } else {
            ConfigNode root = TreeReader.read(file, text, format, errors);
            config = root == null ? null : binder.bindRoot(root, true);
        }
        return result(config, errors);
    }

    /** A config directory ({@link #loadDirectory}) or a single file ({@link #loadFile}), as --config names it. */
    public static Result load(Path path) {
        return Files.isDirectory(path) ? loadDirectory(path) : loadFile(path);
    }

    public static Result loadFile(Path path) {
        String file = path.toString();
        try {
            return parse(file, read(path));
        } catch (NoSuchFileException e) {
            return fileError(file, "no such file");
        } catch (CharacterCodingException e) {
            return fileError(file, "not UTF-8 text");
        } catch (IOException e) {
            return fileError(file, "cannot read: " + e.getMessage());
        }
    }

    /**
     * Loads a config directory: one main file ({@link #MAIN_FILES}) and the seed-format rule files {@code *.xml},
     * whose apps come after the main file's apps in file-name order (order matters: the first matching app wins).
     * A missing directory, or one with neither, gives the embedded default.
     */
    public static Result loadDirectory(Path dir) {
        if (!Files.isDirectory(dir)) return embeddedDefault();
        List<Path> mains = new ArrayList<>();
        for (String n : MAIN_FILES) if (Files.isRegularFile(dir.resolve(n))) mains.add(dir.resolve(n));
        List<Path> xmls = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.xml")) {
            for (Path p : ds) if (Files.isRegularFile(p)) xmls.add(p);
        } catch (IOException e) {
            return fileError(dir.toString(), "cannot list: " + e.getMessage());
        }
        Collections.sort(xmls);
        if (mains.size() > 1) {
            return fileError(mains.get(1).toString(), "more than one main config file in " + dir + " ("
                    + mains.get(0).getFileName() + " and " + mains.get(1).getFileName() + "); keep one");
        }
        if (mains.isEmpty() && xmls.isEmpty()) return embeddedDefault();

        List<ConfigError> errors = new ArrayList<>();
        ConfigBinder binder = new ConfigBinder(errors);
        PoolwardenConfig main;
        if (mains.isEmpty()) {
            main = new PoolwardenConfig(PoolwardenConfig.DEFAULT_MODE, PoolwardenConfig.Timers.DEFAULT, List.of(),
                    List.of(), Map.of(), Map.of());
        } else {
            String file = mains.get(0).toString();
            String text;
            try {
                text = read(mains.get(0));
            } catch (IOException e) {
                return fileError(file, "cannot read: " + e.getMessage());
            }
            ConfigFormat format = ConfigFormat.detect(text);
            if (format == ConfigFormat.XML) return fileError(file, "the main config must be YAML or JSON");
            ConfigNode root = TreeReader.read(file, text, format, errors);
            main = root == null ? null : binder.bindRoot(root, true);
        }
        List<App> apps = new ArrayList<>(main == null ? List.of() : main.apps());
        Map<String, Pipe> pipes = new HashMap<>();
        if (main != null) for (Pipe p : main.pipes()) pipes.put(p.name(), p);
        binder.textScalars(true);
        for (Path x : xmls) {
            String file = x.toString();
            String text;
            try {
                text = read(x);
            } catch (IOException e) {
                errors.add(new ConfigError(Location.ofFile(file), "", "cannot read: " + e.getMessage()));
                continue;
            }
            ConfigNode.MapNode root = XmlRulesReader.read(file, text, errors);
            if (root == null) continue;
            if (root.fields().containsKey("pipes")) {
                errors.add(new ConfigError(root.fields().get("pipes").keyLocation(), "pipes", "define pipes in the"
                        + " main config; <PIPE> is read only when a rules file is validated on its own"));
            }
            binder.bindApps(binder.list(root, "apps", ""), "apps", apps.size(), pipes, pipes.keySet(), apps);
        }
        if (main == null || !errors.isEmpty()) return result(null, errors);
        return result(new PoolwardenConfig(main.mode(), main.timers(), main.pipes(), apps, main.exchange(),
                main.pool(), main.cgroups()), errors);
    }

    public static Result embeddedDefault() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(EMBEDDED_DEFAULT)) {
            if (in == null) throw new IllegalStateException("embedded default config missing from the jar");
            return parse("embedded:default.yaml", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("embedded default config unreadable", e);
        }
    }

    private static Result result(PoolwardenConfig config, List<ConfigError> errors) {
        List<ConfigError> sorted = new ArrayList<>(errors);
        Collections.sort(sorted);
        return new Result(sorted.isEmpty() ? config : null, sorted);
    }

    private static Result fileError(String file, String message) {
        return new Result(null, List.of(new ConfigError(Location.ofFile(file), "", message)));
    }

    /** Strict UTF-8: a binary or Latin-1 file is reported, not silently mangled into a config. */
    private static String read(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
    }
}
