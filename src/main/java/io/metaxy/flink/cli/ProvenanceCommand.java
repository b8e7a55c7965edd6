package io.metaxy.flink.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.Lineage;
import io.metaxy.flink.versioning.GroupDataVersion;
import io.metaxy.flink.versioning.HashAlgorithm;
import io.metaxy.flink.versioning.IdValueOrder;
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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import io.metaxy.flink.definitions.DefinitionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
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
                    + " (N:1 parents: a list of member rows, each with \"ids\", its 'on' columns and"
                    + " \"metaxy_data_version_by_field\").",
            "Root input: {\"ids\": {...}, \"metaxy_provenance_by_field\": {...}}.",
            "Output: {\"ids\", \"metaxy_provenance_by_field\", \"metaxy_provenance\"}. Bad lines are reported on stderr"
                    + " and make the exit code 1."})
final class ProvenanceCommand implements Callable<Integer> {
    // A key given twice in an input line ("audio" twice in a by-field map) is an error, not "last wins".
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    @Mixin
    GraphOption graph;

    @Option(names = "--feature", required = true, paramLabel = "KEY", converter = FeatureKeyConverter.class,
            description = "Feature key, e.g. example/crop.")
    FeatureKey feature;

    @Option(names = "--hash", defaultValue = "xxhash32", paramLabel = "ALGO", converter = HashOptionConverters.Algorithm.class,
            description = "xxhash32 (default), xxhash64, md5 or sha256.")
    HashAlgorithm hash;

    @Option(names = "--hash-length", defaultValue = "8", paramLabel = "N", converter = HashOptionConverters.Length.class,
            description = "Truncation length (>= 8, default 8).")
    int hashLength;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        SampleHasher hasher = new SampleHasher(hash, hashLength);
        FeatureGraph features = graph.load();
        // A key the graph lacks is a wrong command line, like a malformed key: a usage error.
        FeatureSpec target = features.find(feature).orElseThrow(() -> new ParameterException(spec.commandLine(),
                "Invalid value for option '--feature': feature '" + feature + "' is not in the graph (it has "
                        + new TreeSet<>(features.keys()) + ")"));
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
        Map<String, Object> sampleIds = idValues(ids, target.idColumns(), where);
        Map<String, String> byField;
        if (target.isRoot()) {
            byField = strings(input.get("metaxy_provenance_by_field"), where + ": column 'metaxy_provenance_by_field'");
            Set<String> declared = new TreeSet<>();
            target.fields().forEach(f -> declared.add(f.key().structKey()));
            for (String field : declared) {
                if (!byField.containsKey(field)) {
                    throw new IllegalArgumentException(where + ": column 'metaxy_provenance_by_field' lacks field '" + field + "'");
                }
            }
            for (String field : byField.keySet()) {
                if (!declared.contains(field)) {
                    throw new IllegalArgumentException(where + ": column 'metaxy_provenance_by_field' has field '" + field
                            + "', which the feature does not declare (its fields: " + declared + ")");
                }
            }
        } else {
            byField = calc.provenanceByField(upstream(graph, target, hasher, sampleIds, input.get("upstream")));
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("ids", ids);
        ObjectNode fields = out.putObject("metaxy_provenance_by_field");
        byField.forEach(fields::put);
        out.put("metaxy_provenance", calc.provenance(byField));
        return out;
    }

    private static Map<FeatureKey, Map<String, String>> upstream(FeatureGraph graph, FeatureSpec target, SampleHasher hasher,
            Map<String, Object> sampleIds, JsonNode upstream) {
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
                versions.put(dep.feature(), groupDataVersion(graph.spec(dep.feature()), dep, hasher, sampleIds, row, parent));
            } else {
                versions.put(dep.feature(), strings(row.get("metaxy_data_version_by_field"),
                        parent + " column 'metaxy_data_version_by_field'"));
            }
        }
        return versions;
    }

    /**
     * An N:1 parent's members folded into one data version by field ({@link GroupDataVersion},
     * which orders them by the parent's id columns and folds with {@code IncrementRules.fold}).
     * Each member is {@code {"ids": {<the parent's id columns>}, "<on column>": value, …,
     * "metaxy_data_version_by_field": {…}}}: Metaxy's N:1 parent carries the 'on' columns as
     * ordinary columns, named here as the sample names them (after the dep's rename); an 'on'
     * column that is also one of the parent's (renamed) id columns may come from {@code ids}.
     * Every member's 'on' values must equal the sample's.
     */
    private static Map<String, String> groupDataVersion(FeatureSpec parentSpec, FeatureDep dep, SampleHasher hasher,
            Map<String, Object> sampleIds, JsonNode rows, String parent) {
        if (!rows.isArray() || rows.isEmpty()) {
            throw new IllegalArgumentException(parent + " is an N:1 aggregation: expected a non-empty list of member rows");
        }
        Map<String, String> parentColumnOf = new HashMap<>();
        parentSpec.idColumns().forEach(c -> parentColumnOf.put(dep.rename().getOrDefault(c, c), c));
        List<GroupDataVersion.Member> members = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String member = parent + " member " + (i + 1);
            JsonNode row = rows.get(i);
            if (!row.isObject()) {
                throw new IllegalArgumentException(member + " must be an object with 'ids', its 'on' columns "
                        + dep.lineage().on() + " and 'metaxy_data_version_by_field'");
            }
            Map<String, Object> ids = idValues(row.get("ids"), parentSpec.idColumns(), member);
            for (String on : dep.lineage().on()) {
                Object value = onValue(row, on, ids, parentColumnOf.get(on), member);
                if (IdValueOrder.INSTANCE.compare(value, sampleIds.get(on)) != 0) {
                    throw new IllegalArgumentException(member + ": 'on' column '" + on + "' is " + json(value)
                            + " but the sample's is " + json(sampleIds.get(on)) + ": the member belongs to another group");
                }
            }
            members.add(new GroupDataVersion.Member(ids,
                    strings(row.get("metaxy_data_version_by_field"), member + " column 'metaxy_data_version_by_field'")));
        }
        try {
            return GroupDataVersion.of(hasher, parentSpec.idColumns(), members);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(parent + ": " + e.getMessage(), e);
        }
    }

    /** A member's value of an 'on' column: its own key, else the parent id column of that name. */
    private static Object onValue(JsonNode row, String on, Map<String, Object> ids, String parentIdColumn, String member) {
        JsonNode value = row.get(on);
        if (value == null || value.isNull()) {
            if (parentIdColumn != null) {
                return ids.get(parentIdColumn);
            }
            throw new IllegalArgumentException(member + ": 'on' column '" + on + "' is missing (each member carries the"
                    + " group's 'on' columns next to its 'ids')");
        }
        if (!value.isNumber() && !value.isTextual()) {
            throw new IllegalArgumentException(member + ": 'on' column '" + on + "' must be a number or a string, got " + value);
        }
        return value.isNumber() ? value.numberValue() : value.asText();
    }

    /** The values of {@code columns} in an {@code ids} object: each present, a number or a string. */
    private static Map<String, Object> idValues(JsonNode ids, List<String> columns, String where) {
        if (ids == null || !ids.isObject()) {
            throw new IllegalArgumentException(where + ": column 'ids' must be an object of the id columns " + columns);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (String column : columns) {
            JsonNode value = ids.get(column);
            if (value == null || value.isNull()) {
                throw new IllegalArgumentException(where + ": id column '" + column + "' is missing from 'ids'");
            }
            if (!value.isNumber() && !value.isTextual()) {
                throw new IllegalArgumentException(where + ": id column '" + column + "' in 'ids' must be a number or a string, got "
                        + value);
            }
            out.put(column, value.isNumber() ? value.numberValue() : value.asText());
        }
        return out;
    }

    private static String json(Object value) {
        return value instanceof String text ? JSON.getNodeFactory().textNode(text).toString() : String.valueOf(value);
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

    /** {@code --feature}: a malformed key is a usage error before the graph is read. */
    static final class FeatureKeyConverter implements ITypeConverter<FeatureKey> {
        @Override
        public FeatureKey convert(String value) {
            try {
                return FeatureKey.of(value);
            } catch (DefinitionException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
