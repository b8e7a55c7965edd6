package io.metaxy.flink.cli;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --graph FILE} option shared by every command that needs the feature graph. */
public final class GraphOption {
    @Option(names = "--graph", required = true, paramLabel = "FILE",
            description = "Feature graph: metaxy-flink YAML, or a Metaxy snapshot JSON.")
    Path file;

    public FeatureGraph load() {
        return GraphReader.read(file);
    }

    /** The file's text, to ship with a job (a TaskManager cannot read the client's files). */
    public String text() {
        try {
            return java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            throw new io.metaxy.flink.definitions.DefinitionException("cannot read graph file " + file + ": " + e.getMessage(), e);
        }
    }
}
