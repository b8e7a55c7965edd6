package io.metaxy.flink.definitions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@link FeatureGraph} from either of two forms:
 * <ul>
 *   <li>this product's YAML (or JSON) graph file: {@code features:} a list of feature specs, with
 *       shorthands ({@code fields: [audio, frames]}, {@code fields_mapping: all},
 *       {@code lineage: {type: "1:N", on: [video_id]}});</li>
 *   <li>Metaxy's serialized snapshot: an object of feature key → {@code {"feature_spec": {…}}}.</li>
 * </ul>
 *
 * <pre>{@code
 * FeatureGraph graph = GraphReader.read(Path.of("graph.yaml"));
 * }</pre>
 */
public final class GraphReader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ALL_MARKERS = Set.of("all", "*", "__METAXY_ALL_DEP__");

    private GraphReader() {}

    /** Reads a YAML or JSON graph file (JSON when the first non-blank character is '{'). */
    public static FeatureGraph read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new DefinitionException("cannot read graph file " + file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new DefinitionException("cannot read graph file " + file + ": permission denied", e);
        } catch (MalformedInputException e) {
            throw new DefinitionException("cannot read graph file " + file + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new DefinitionException("cannot read graph file " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (DefinitionException e) {
            throw new DefinitionException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses graph text in either form. Unquoted YAML scalars keep their written text
     * ({@code code_version: 1.10} is "1.10"), and a key given twice in one object is an error.
     */
    public static FeatureGraph parse(String text) {
        return fromTree(GraphTreeReader.read(text));
    }

    /**
     * Builds a graph from a parsed tree in either form: this product's form when {@code features}
     * is a list, else Metaxy's snapshot (an object of feature key → {@code {"feature_spec": …}}).
     * Scalars are read by their text, so a tree from {@code ObjectMapper.readTree} of YAML may
     * already have lost what was written; {@link #parse} keeps it.
     */
    public static FeatureGraph fromTree(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new DefinitionException("graph must be an object with 'features' (or a Metaxy snapshot)");
        }
        List<FeatureSpec> specs = new ArrayList<>();
        JsonNode features = root.get("features");
        if (features != null && features.isArray()) {
            allowOnly(root, "graph", "features");
            for (int i = 0; i < features.size(); i++) {
                specs.add(featureSpec(features.get(i), "features[" + i + "]", true));
            }
        } else {
            Iterator<Map.Entry<String, JsonNode>> entries = root.fields();
            while (entries.hasNext()) {
                Map.Entry<String, JsonNode> entry = entries.next();
                String position = "snapshot entry '" + entry.getKey() + "'";
                JsonNode value = entry.getValue();
                if (!value.isObject() || !(value.has("feature_spec") || value.has("key"))) {
                    throw new DefinitionException(entry.getKey().equals("features")
                            ? "'features' must be a list of feature specs"
                            : position + " must be an object {\"feature_spec\": {…}} (or the graph needs 'features': a list of feature specs)");
                }
                JsonNode spec = value.has("feature_spec") ? value.get("feature_spec") : value;
                FeatureSpec parsed = featureSpec(spec, position, false);
                if (!parsed.key().toString().equals(entry.getKey())) {
                    throw new DefinitionException(position + " holds the spec of '" + parsed.key() + "'");
                }
                specs.add(parsed);
            }
        }
        return FeatureGraph.of(specs);
    }

    /**
     * One feature spec. {@code strict}: unknown keys are errors (our hand-written YAML, to catch
     * typos); in Metaxy snapshots they are ignored on the feature and its deps, so snapshots of a
     * newer Metaxy still load (field specs, which the versions hash, stay strict in both).
     */
    private static FeatureSpec featureSpec(JsonNode node, String position, boolean strict) {
        if (node == null || !node.isObject()) {
            throw new DefinitionException(position + ": a feature spec must be an object");
        }
        String key = text(node, "key", position);
        String where = "feature '" + key + "'";
        if (strict) {
            allowOnly(node, where, "key", "id_columns", "deps", "fields", "metadata", "description", "code_version",
                    "feature_spec_version", "feature_version");
        }
        FeatureSpec.Builder builder;
        try {
            builder = FeatureSpec.builder(key);
        } catch (DefinitionException e) {
            throw new DefinitionException(where + ": " + e.getMessage(), e);
        }
        if (node.has("id_columns")) {
            builder.idColumns(strings(node.get("id_columns"), where + " id_columns"));
        }
        if (node.hasNonNull("description")) {
            builder.description(node.get("description").asText());
        }
        List<FeatureDep> featureDeps = new ArrayList<>();
        for (JsonNode dep : list(node.get("deps"), where + " deps")) {
            featureDeps.add(featureDep(dep, where, strict));
        }
        featureDeps.forEach(builder::dep);
        JsonNode fields = node.get("fields");
        if (fields == null || !fields.isArray()) {
            throw new DefinitionException(where + ": 'fields' must be a list");
        }
        for (JsonNode field : fields) {
            builder.field(fieldSpec(field, where, featureDeps));
        }
        return builder.build();
    }

    /**
     * One field spec. Field deps given as Metaxy's {@code SpecialFieldDep.ALL}
     * ({@code "deps": "__METAXY_ALL_DEP__"}, also {@code all} or {@code *}) mean every field of
     * every upstream feature (models/plan.py {@code _resolve_field_deps}); they are read as one
     * {@link FieldDep#all} per feature dep, which resolves to the same parents and versions. A
     * field dep's {@code fields} given as that marker, or left out (Metaxy's default), is all
     * fields of that feature.
     */
    private static FieldSpec fieldSpec(JsonNode node, String feature, List<FeatureDep> featureDeps) {
        if (node.isTextual()) {
            return guard(feature, () -> FieldSpec.of(node.asText()));
        }
        String key = text(node, "key", feature + " field");
        String where = feature + " field '" + key + "'";
        allowOnly(node, where, "key", "code_version", "deps");
        String codeVersion = codeVersion(node.get("code_version"), where);
        List<FieldDep> deps = new ArrayList<>();
        JsonNode depsNode = node.get("deps");
        if (depsNode != null && depsNode.isTextual()) {
            if (!ALL_MARKERS.contains(depsNode.asText())) {
                throw new DefinitionException(where + ": deps must be a list of field deps or '__METAXY_ALL_DEP__' (all"
                        + " fields of every upstream feature), got '" + depsNode.asText() + "'");
            }
            featureDeps.forEach(d -> deps.add(new FieldDep(d.feature(), null)));
            return guard(feature, () -> new FieldSpec(FieldKey.of(key), codeVersion, deps));
        }
        for (JsonNode dep : list(depsNode, where + " deps")) {
            allowOnly(dep, where + " dep", "feature", "feature_key", "fields");
            String upstream = dep.has("feature") ? text(dep, "feature", where + " dep") : text(dep, "feature_key", where + " dep");
            JsonNode fieldsNode = dep.get("fields");
            List<FieldKey> fields = null;
            if (fieldsNode != null && fieldsNode.isTextual() && !ALL_MARKERS.contains(fieldsNode.asText())) {
                // Metaxy: "String value must be __METAXY_ALL_DEP__" (models/field.py).
                throw new DefinitionException(where + " dep on '" + upstream + "': fields must be a list of field keys or"
                        + " '__METAXY_ALL_DEP__' (all fields), got '" + fieldsNode.asText() + "'");
            }
            if (fieldsNode != null && !(fieldsNode.isTextual() && ALL_MARKERS.contains(fieldsNode.asText()))) {
                fields = guard(where, () -> strings(fieldsNode, where + " dep fields").stream().map(FieldKey::of).toList());
            }
            List<FieldKey> finalFields = fields;
            deps.add(guard(where, () -> new FieldDep(FeatureKey.of(upstream), finalFields)));
        }
        return guard(feature, () -> new FieldSpec(FieldKey.of(key), codeVersion, deps));
    }

    private static FeatureDep featureDep(JsonNode node, String feature, boolean strict) {
        if (node.isTextual()) {
            return guard(feature, () -> FeatureDep.on(node.asText()).build());
        }
        String upstream = text(node, "feature", feature + " dep");
        String where = feature + " dep on '" + upstream + "'";
        if (strict) {
            allowOnly(node, where, "feature", "fields_mapping", "lineage", "optional", "select", "columns", "rename",
                    "sql_filters", "filters");
        }
        FeatureDep.Builder builder = guard(where, () -> FeatureDep.on(upstream));
        if (node.hasNonNull("fields_mapping")) {
            builder.fieldsMapping(fieldsMapping(node.get("fields_mapping"), where));
        }
        if (node.hasNonNull("lineage")) {
            builder.lineage(lineage(node.get("lineage"), where));
        }
        if (node.hasNonNull("optional")) {
            builder.optional(flag(node.get("optional"), where + ": 'optional'"));
        }
        JsonNode select = node.hasNonNull("select") ? node.get("select") : node.get("columns");
        if (select != null && !select.isNull()) {
            builder.select(strings(select, where + " select"));
        }
        if (node.hasNonNull("rename")) {
            Map<String, String> rename = new LinkedHashMap<>();
            node.get("rename").fields().forEachRemaining(e -> rename.put(e.getKey(), e.getValue().asText()));
            builder.rename(rename);
        }
        JsonNode filters = node.hasNonNull("sql_filters") ? node.get("sql_filters") : node.get("filters");
        if (filters != null && !filters.isNull()) {
            List<String> texts = filters.isTextual() ? List.of(filters.asText()) : strings(filters, where + " filters");
            // Checked here so the message names the feature and the dep (Metaxy parses them when the spec loads).
            FilterParser.parseAll(texts, where);
            builder.filters(texts);
        }
        return guard(where, builder::build);
    }

    private static FieldsMapping fieldsMapping(JsonNode node, String where) {
        JsonNode mapping = node.has("mapping") ? node.get("mapping") : node;
        String type;
        if (mapping.isTextual()) {
            type = mapping.asText();
        } else if (mapping.has("type")) {
            type = mapping.get("type").asText();
        } else if (mapping.isObject() && mapping.size() == 1) {
            // Shorthand {default: {...}} / {specific: {...}}.
            type = mapping.fieldNames().next();
            mapping = mapping.get(type);
        } else {
            throw new DefinitionException(where + ": fields_mapping needs a type (default, all, none, specific)");
        }
        JsonNode body = mapping;
        return switch (type) {
            case "default" -> {
                boolean suffix = body.isObject() && body.hasNonNull("match_suffix")
                        && flag(body.get("match_suffix"), where + ": 'match_suffix'");
                Set<FieldKey> exclude = new LinkedHashSet<>();
                if (body.isObject() && body.has("exclude_fields")) {
                    for (JsonNode f : body.get("exclude_fields")) {
                        exclude.add(guard(where, () -> fieldKey(f)));
                    }
                }
                yield new FieldsMapping.Default(suffix, exclude);
            }
            case "all" -> FieldsMapping.all();
            case "none" -> FieldsMapping.none();
            case "specific" -> {
                JsonNode table = body.has("mapping") ? body.get("mapping") : body;
                Map<FieldKey, Set<FieldKey>> specific = new LinkedHashMap<>();
                table.fields().forEachRemaining(e -> {
                    Set<FieldKey> ups = new LinkedHashSet<>();
                    for (JsonNode up : e.getValue().isArray() ? e.getValue() : JSON.createArrayNode().add(e.getValue())) {
                        ups.add(guard(where, () -> fieldKey(up)));
                    }
                    specific.put(guard(where, () -> FieldKey.of(e.getKey())), ups);
                });
                yield FieldsMapping.specific(specific);
            }
            default -> throw new DefinitionException(where + ": unknown fields_mapping type '" + type
                    + "' (expected default, all, none or specific)");
        };
    }

    /** A field key as a string "a/b" or Metaxy's list of parts ["a", "b"]. */
    private static FieldKey fieldKey(JsonNode node) {
        if (node.isArray()) {
            List<String> parts = new ArrayList<>();
            node.forEach(p -> parts.add(p.asText()));
            return new FieldKey(parts);
        }
        return FieldKey.of(node.asText());
    }

    private static Lineage lineage(JsonNode node, String where) {
        JsonNode relationship = node.has("relationship") ? node.get("relationship") : node;
        String type = relationship.isTextual() ? relationship.asText() : relationship.path("type").asText(null);
        if (type == null) {
            throw new DefinitionException(where + ": lineage needs a type (1:1, 1:N or N:1)");
        }
        List<String> on = relationship.hasNonNull("on") ? strings(relationship.get("on"), where + " lineage on") : null;
        return guard(where, () -> switch (type) {
            case "1:1", "identity" -> Lineage.identity();
            case "1:N", "expansion" -> Lineage.expansion(on);
            case "N:1", "aggregation" -> Lineage.aggregation(on);
            default -> throw new DefinitionException("unknown lineage type '" + type + "' (expected 1:1, 1:N or N:1)");
        });
    }

    /**
     * A code version as written. {@link #parse} keeps unquoted scalars' text ({@code 1.10} stays
     * "1.10"), so a number or boolean here renders exactly as the user wrote it.
     */
    private static String codeVersion(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isValueNode()) {
            throw new DefinitionException(where + ": 'code_version' must be a string, got " + node);
        }
        return node.asText();
    }

    private static boolean flag(JsonNode node, String what) {
        if (node.isBoolean()) {
            return node.asBoolean();
        }
        if (node.isTextual() && (node.asText().equalsIgnoreCase("true") || node.asText().equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(node.asText().toLowerCase(java.util.Locale.ROOT));
        }
        throw new DefinitionException(what + " must be true or false, got " + node);
    }

    private static String text(JsonNode node, String name, String where) {
        JsonNode value = node == null ? null : node.get(name);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new DefinitionException(where + ": '" + name + "' must be a non-empty string");
        }
        return value.asText();
    }

    private static List<String> strings(JsonNode node, String where) {
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        if (!node.isArray()) {
            throw new DefinitionException(where + " must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw new DefinitionException(where + " must be a list of strings, found " + item);
            }
            out.add(item.asText());
        }
        return out;
    }

    private static List<JsonNode> list(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new DefinitionException(where + " must be a list");
        }
        List<JsonNode> out = new ArrayList<>();
        node.forEach(out::add);
        return out;
    }

    private static void allowOnly(JsonNode node, String where, String... names) {
        if (!node.isObject()) {
            throw new DefinitionException(where + " must be an object");
        }
        Set<String> allowed = Set.of(names);
        node.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                throw new DefinitionException(where + ": unknown key '" + name + "' (allowed: " + String.join(", ", names) + ")");
            }
        });
    }

    private static <T> T guard(String where, java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (DefinitionException e) {
            throw new DefinitionException(where + ": " + e.getMessage(), e);
        }
    }
}
