package io.metaxy.flink.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldRef;
import io.metaxy.flink.definitions.FieldSpec;
import io.metaxy.flink.versioning.DefinitionVersions;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code graph versions|show}: inspect a feature graph and its Metaxy versions. */
@Command(name = "graph", mixinStandardHelpOptions = true, description = "Inspect a feature graph.",
        subcommands = {GraphCommand.Versions.class, GraphCommand.Show.class})
final class GraphCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: versions or show");
    }

    @Command(name = "versions", mixinStandardHelpOptions = true,
            description = "Print graph, feature, code and field versions as JSON.")
    static final class Versions implements Runnable {
        @Mixin
        GraphOption graph;

        @Option(names = "--hash-length", defaultValue = "8", paramLabel = "N", converter = HashOptionConverters.Length.class,
                description = "Truncation length of versions (>= 8; 64 or more gives the whole sha256).")
        int hashLength;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            FeatureGraph features = graph.load();
            DefinitionVersions versions = DefinitionVersions.of(features, hashLength);
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = json.createObjectNode();
            root.put("graph_version", versions.graphVersion());
            ObjectNode all = root.putObject("features");
            for (FeatureKey key : new TreeSet<>(features.keys())) {
                ObjectNode feature = all.putObject(key.toString());
                feature.put("feature_version", versions.featureVersion(key));
                feature.put("code_version", versions.codeVersion(key));
                ObjectNode fields = feature.putObject("fields");
                versions.fieldVersions(key).forEach(fields::put);
            }
            spec.commandLine().getOut().println(root.toPrettyString());
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print features, fields and field-level dependencies (text or a Mermaid diagram).")
    static final class Show implements Runnable {
        enum Format { text, mermaid }

        @Mixin
        GraphOption graph;

        @Option(names = "--format", defaultValue = "text", description = "text or mermaid (default: ${DEFAULT-VALUE}).")
        Format format;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            FeatureGraph features = graph.load();
            DefinitionVersions versions = DefinitionVersions.of(features);
            PrintWriter out = spec.commandLine().getOut();
            if (format == Format.mermaid) {
                printMermaid(features, out);
            } else {
                printText(features, versions, out);
            }
            out.flush();
        }

        private static void printText(FeatureGraph graph, DefinitionVersions versions, PrintWriter out) {
            out.println("graph version " + versions.graphVersion());
            for (FeatureKey key : graph.topologicalOrder()) {
                FeatureSpec feature = graph.spec(key);
                out.println();
                out.printf("%s  [version %s, ids %s]%s%n", key, versions.featureVersion(key), feature.idColumns(),
                        feature.isRoot() ? "  root" : "");
                for (FeatureDep dep : feature.deps()) {
                    out.printf("  dep %s  (%s, mapping %s%s)%n", dep.feature(), dep.lineage(), dep.fieldsMapping(),
                            dep.optional() ? ", optional" : "");
                }
                for (FieldSpec field : feature.fields()) {
                    List<FieldRef> parents = graph.parentFields(key, field.key());
                    out.printf("  field %-16s code %-20s version %s%s%n", field.key(), field.codeVersion(),
                            versions.fieldVersion(key, field.key()),
                            parents.isEmpty() ? "" : "  <- " + parents.stream().map(FieldRef::toString).collect(Collectors.joining(", ")));
                }
            }
        }

        /**
         * Node ids are positional ({@code n<feature>} for a feature's subgraph, {@code n<feature>_<field>}
         * for its fields): names mapped to id characters collide ({@code c} field {@code x} vs
         * feature {@code c/f_x}), positions cannot. Labels carry the keys.
         */
        private static void printMermaid(FeatureGraph graph, PrintWriter out) {
            Map<FieldRef, String> ids = new HashMap<>();
            out.println("flowchart LR");
            List<FeatureKey> order = graph.topologicalOrder();
            for (int i = 0; i < order.size(); i++) {
                FeatureKey key = order.get(i);
                out.printf("  subgraph n%d[\"%s\"]%n", i, key);
                List<FieldSpec> fields = graph.spec(key).fields();
                for (int j = 0; j < fields.size(); j++) {
                    String id = "n" + i + "_" + j;
                    ids.put(new FieldRef(key, fields.get(j).key()), id);
                    out.printf("    %s[\"%s\"]%n", id, fields.get(j).key());
                }
                out.println("  end");
            }
            for (FeatureKey key : order) {
                for (FieldSpec field : graph.spec(key).fields()) {
                    for (FieldRef parent : graph.parentFields(key, field.key())) {
                        out.printf("  %s --> %s%n", ids.get(parent), ids.get(new FieldRef(key, field.key())));
                    }
                }
            }
        }
    }
}
