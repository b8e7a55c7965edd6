package io.metaxy.flink.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.Lineage;
import io.metaxy.flink.versioning.GroupDataVersion;
import io.metaxy.flink.versioning.HashAlgorithm;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code provenance}: sample provenance of JSON lines on stdin, one JSON line out per line in.
 *
 * <pre>
 * echo '{"ids": {"sample_uid": 1}, "upstream": {"examples/parent": {"metaxy_data_version_by_field": {"embeddings": "v1"}}}}' \
 *   | java -jar metaxy-flink.jar provenance --graph graph.json --feature examples/child
 * </pre>
 */
@Command(name = "provenance", mixinStandardHelpOptions = true,
        description = {"Compute sample provenance for JSON lines read from stdin.",
            "Non-root input: {\"ids\": {...}, \"upstream\": {\"<parent>\": {\"metaxy_data_version_by_field\": {...}}}}"
                    + " (N:1 parents: a list of member rows, each with \"ids\").",
            "Root input: {\"ids\": {...}, \"metaxy_provenance_by_field\": {...}}.",
            "Output: {\"ids\", \"metaxy_provenance_by_field\", \"metaxy_provenance\"}. Bad lines are reported on stderr"
                    + " and make the exit code 1."})
final class ProvenanceCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    GraphOption graph;

    @Option(names = "--feature", required = true, paramLabel = "KEY", description = "Feature key, e.g. example/crop.")
    String feature;

    @Option(names = "--hash", defaultValue = "xxhash32", paramLabel = "ALGO",
            description = "xxhash32 (default), xxhash64, md5 or sha256.")
    String hash;

    @Option(names = "--hash-length", defaultValue = "8", description = "Truncation length (>= 8, default 8).")
    int hashLength;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        FeatureGraph features = graph.load();
        FeatureSpec target = features.spec(FeatureKey.of(feature));
        SampleHasher hasher;
        try {
            hasher = new SampleHasher(HashAlgorithm.fromId(hash), hashLength);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        ProvenanceCalculator calc = ProvenanceCalculator.of(features, target.key(), hasher);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int failures = 0;
        int lineNumber = 0;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            try {
                out.println(JSON.writeValueAsString(compute(features, target, calc, hasher, JSON.readTree(line))));
            } catch (JsonProcessingException e) {
                failures++;
                err.printf("line %d: not valid JSON: %s%n", lineNumber, e.getOriginalMessage());
            } catch (IllegalArgumentException e) {
                failures++;
                err.printf("line %d: %s%n", lineNumber, e.getMessage());
            }
        }
        out.flush();
        err.flush();
        return failures == 0 ? 0 : 1;
    }

    private static ObjectNode compute(FeatureGraph graph, FeatureSpec target, ProvenanceCalculator calc, SampleHasher hasher,
            JsonNode input) {
        String where = "feature '" + target.key() + "'";
        if (input == null || !input.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        JsonNode ids = input.get("ids");
        if (ids == null || !ids.isObject()) {
            throw new IllegalArgumentException(where + ": column 'ids' must be an object of the id columns " + target.idColumns());
        }
        for (String column : target.idColumns()) {
            if (!ids.hasNonNull(column)) {
                throw new IllegalArgumentException(where + ": id column '" + column + "' is missing from 'ids'");
            }
        }
        Map<String, String> byField;
        if (target.isRoot()) {
            byField = strings(input.get("metaxy_provenance_by_field"), where + ": column 'metaxy_provenance_by_field'");
            for (var field : target.fields()) {
                if (!byField.containsKey(field.key().toString())) {
                    throw new IllegalArgumentException(where + ": column 'metaxy_provenance_by_field' lacks field '" + field.key() + "'");
                }
            }
        } else {
            byField = calc.provenanceByField(upstream(graph, target, hasher, input.get("upstream")));
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("ids", ids);
        ObjectNode fields = out.putObject("metaxy_provenance_by_field");
        byField.forEach(fields::put);
        out.put("metaxy_provenance", calc.provenance(byField));
        return out;
    }

    private static Map<FeatureKey, Map<String, String>> upstream(FeatureGraph graph, FeatureSpec target, SampleHasher hasher,
            JsonNode upstream) {
        String where = "feature '" + target.key() + "'";
        if (upstream == null || !upstream.isObject()) {
            throw new IllegalArgumentException(where + ": column 'upstream' must be an object of parent feature → row");
        }
        upstream.fieldNames().forEachRemaining(name -> {
            if (target.deps().stream().noneMatch(d -> d.feature().toString().equals(name))) {
                throw new IllegalArgumentException(where + ": 'upstream' names '" + name + "', which is not a dep of the feature");
            }
        });
        Map<FeatureKey, Map<String, String>> versions = new HashMap<>();
        for (FeatureDep dep : target.deps()) {
            JsonNode row = upstream.get(dep.feature().toString());
            String parent = where + " upstream '" + dep.feature() + "'";
            if (row == null || row.isNull()) {
                if (!dep.optional()) {
                    throw new IllegalArgumentException(parent + " is missing (the dep is not optional)");
                }
                continue;
            }
            if (dep.lineage() instanceof Lineage.Aggregation) {
                if (!row.isArray() || row.isEmpty()) {
                    throw new IllegalArgumentException(parent + " is an N:1 aggregation: expected a non-empty list of member rows");
                }
                List<GroupDataVersion.Member> members = new ArrayList<>();
                for (JsonNode member : row) {
                    members.add(new GroupDataVersion.Member(idValues(member.get("ids"), parent + " member 'ids'"),
                            strings(member.get("metaxy_data_version_by_field"), parent + " member column 'metaxy_data_version_by_field'")));
                }
                versions.put(dep.feature(), GroupDataVersion.of(hasher, graph.spec(dep.feature()).idColumns(), members));
            } else {
                versions.put(dep.feature(), strings(row.get("metaxy_data_version_by_field"),
                        parent + " column 'metaxy_data_version_by_field'"));
            }
        }
        return versions;
    }

    private static Map<String, Object> idValues(JsonNode ids, String where) {
        if (ids == null || !ids.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        ids.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().isNumber() ? e.getValue().numberValue() : e.getValue().asText()));
        return out;
    }

    private static Map<String, String> strings(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + " must be an object of field → string");
        }
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException(where + ": field '" + e.getKey() + "' must be a string, got " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        });
        return out;
    }
}
