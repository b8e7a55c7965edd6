package io.metaxy.flink.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code java -jar metaxy-flink.jar}. Exit codes: 0 ok, 1 runtime failure, 2 usage error.
 *
 * <pre>{@code
 * java -jar target/metaxy-flink.jar graph versions --graph graph.yaml
 * }</pre>
 */
@Command(
        name = "metaxy-flink",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Sample-level versioning and incremental updates for multimodal pipelines.",
        subcommands = {
            GraphCommand.class,
            ProvenanceCommand.class,
            RunCommand.class,
            MetadataCommand.class,
            IncrementsCommand.class,
            SqlDdlCommand.class,
            DemoCommand.class,
        })
public final class MetaxyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (for tests and embedding). */
    public static int execute(String... args) {
        return newCommandLine().execute(args);
    }

    public static CommandLine newCommandLine() {
        CommandLine cli = new CommandLine(new MetaxyCommand());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + e.getMessage());
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
