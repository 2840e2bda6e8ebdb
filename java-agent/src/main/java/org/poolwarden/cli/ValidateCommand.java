package org.poolwarden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code poolwarden validate FILE...}: checks config files without touching the agent or the kernel. Made to be an
 * Ansible {@code validate: poolwarden validate %s} hook: the format is detected from the content (Ansible's temp file
 * has no extension), every error is printed as {@code file:line:col: field: message}, and the exit code is 0 when
 * every file is valid, 1 when any is not, 64 (EX_USAGE) for a bad command line.
 */
@Command(name = "validate", exitCodeOnInvalidInput = ValidateCommand.EXIT_USAGE,
        description = {"Check poolwarden config files (YAML, JSON or seed XML rules; detected from the content) and"
                + " print every error as file:line:col: field: message.",
                "A directory is checked as the agent loads it: its main poolwarden.yaml plus its *.xml rule files."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:every file is valid", "1:at least one file is invalid or unreadable", "64:usage error"})
public final class ValidateCommand implements Callable<Integer> {
    public static final int EXIT_VALID = 0;
    public static final int EXIT_INVALID = 1;
    /** sysexits.h EX_USAGE. */
    public static final int EXIT_USAGE = 64;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "config files or config directories")
    List<Path> files = new ArrayList<>();

    @Option(names = "--json", description = "print a JSON report instead of lines")
    boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        boolean allValid = true;
        List<Map<String, Object>> reports = new ArrayList<>();
        for (Path f : files) {
            ConfigLoader.Result r = ConfigLoader.load(f);
            allValid &= r.valid();
            if (json) {
                reports.add(report(f, r));
            } else if (r.valid()) {
                out.println(f + ": valid (mode " + r.config().mode().name().toLowerCase(Locale.ROOT) + ", "
                        + r.config().apps().size() + " apps, " + r.config().pipes().size() + " pipes)");
            } else {
                for (ConfigError e : r.errors()) out.println(e);
                out.println(f + ": invalid (" + r.errors().size() + (r.errors().size() == 1 ? " error)" : " errors)"));
            }
        }
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("valid", allValid);
            doc.put("files", reports);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        }
        out.flush();
        return allValid ? EXIT_VALID : EXIT_INVALID;
    }

    private static Map<String, Object> report(Path f, ConfigLoader.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", f.toString());
        m.put("valid", r.valid());
        if (r.valid()) {
            m.put("mode", r.config().mode().name().toLowerCase(Locale.ROOT));
            m.put("apps", r.config().apps().size());
            m.put("pipes", r.config().pipes().size());
        }
        List<Map<String, Object>> errs = new ArrayList<>();
        for (ConfigError e : r.errors()) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("file", e.location().file());
            em.put("line", e.location().line());
            em.put("column", e.location().column());
            em.put("field", e.field());
            em.put("message", e.message());
            em.put("text", e.toString());
            errs.add(em);
        }
        m.put("errors", errs);
        return m;
    }
}
