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
}
