package org.poolwarden.cli;

import java.io.PrintWriter;

import org.poolwarden.os.KernelException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code poolwarden} command. Errors are one line on stderr ("poolwarden doctor: ..."), never a stack trace,
 * unless POOLWARDEN_DEBUG=1. Exit codes: 0 success, 1 failure, 2 impossible (doctor), 64 bad usage.
 */
@Command(name = "poolwarden", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Shares a pool of servers' CPU and bandwidth out by policy.",
        subcommands = {AgentCommand.class, CleanupCommand.class, DoctorCommand.class, ValidateCommand.class, StatusCommand.class, AppsCommand.class,
                TopCommand.class, PolicyCommand.class, HistoryCommand.class, ModeCommand.class, ReloadCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_USAGE = 64;
    public static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (try: poolwarden --help)");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit code (tests call this directly). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            err.println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
            err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if ("1".equals(System.getenv("POOLWARDEN_DEBUG"))) {
                ex.printStackTrace(err);
            }
            err.println(c.getCommandSpec().qualifiedName() + ": " + oneLine(ex));
            return EXIT_FAILURE;
        });
        return cl.execute(args);
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank() || !(ex instanceof KernelException) && ex.getCause() != null && m.equals(ex.getCause().toString())) {
            m = ex.getCause() != null && ex.getCause() != ex ? oneLine(ex.getCause()) : ex.getClass().getSimpleName();
        }
        return m.replace('\n', ' ').strip();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"poolwarden " + (v == null ? "dev" : v)};
        }
    }
}
