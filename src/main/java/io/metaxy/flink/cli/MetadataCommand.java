package io.metaxy.flink.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.store.SchemaMismatchException;
import io.metaxy.flink.versioning.HashAlgorithm;
import io.metaxy.flink.versioning.SampleHasher;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.DeleteMode;
import io.metaxy.flink.store.Filter;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.IncrementRow;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.store.ReadOptions;
import io.metaxy.flink.store.ResolveOptions;
import io.metaxy.flink.store.ResolveProgress;
import io.metaxy.flink.store.SystemColumns;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code metadata read|resolve|delete|status}: the metadata store from the command line.
 *
 * <pre>{@code
 * java -jar metaxy-flink.jar metadata status  --store duckdb:metaxy-data/metaxy.duckdb --graph graph.yaml
 * java -jar metaxy-flink.jar metadata read    --store duckdb:metaxy-data/metaxy.duckdb --graph graph.yaml --feature example/video --filter 'sample_uid>=10'
 * java -jar metaxy-flink.jar metadata resolve --store postgresql://me@127.0.0.1:5432/meta --graph graph.yaml --feature example/crop --format table
 * java -jar metaxy-flink.jar metadata resolve --store duckdb:metaxy-data/metaxy.duckdb --graph graph.yaml --feature example/video --samples videos.jsonl
 * java -jar metaxy-flink.jar metadata delete  --store duckdb:metaxy-data/metaxy.duckdb --graph graph.yaml --feature example/crop --filter sample_uid=3 --hard
 * }</pre>
 *
 * {@code --hash}/{@code --hash-length} must be those the store was written with (provenance and
 * feature versions are compared as text). On {@code resolve} and {@code status}, {@code --filter}
 * is Metaxy's target filter (the feature's own stored rows, any column) and
 * {@code --global-filter} restricts the samples by the columns the increments are keyed by.
 * {@code --filter column OP value} (OP one of {@code = != <> < <= > >=}; repeat to AND them):
 * the value is converted to the column's type ({@code sample_uid=5} is a number on a BIGINT
 * column, {@code id=001} stays "001" on a text column), {@code null} tests for null, quotes keep
 * spaces. Output: JSON lines (default) or an aligned table.
 */
@Command(name = "metadata", mixinStandardHelpOptions = true, description = "Read, resolve and delete feature metadata in a store.",
        subcommands = {MetadataCommand.Read.class, MetadataCommand.Resolve.class, MetadataCommand.Delete.class,
                MetadataCommand.Status.class})
public final class MetadataCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: read, resolve, delete or status");
    }

    enum Format { json, table }

    /** Options every subcommand shares. */
    static final class StoreOptions {
        @Option(names = "--store", defaultValue = MetadataStores.DEFAULT_URL,
                description = "Store URL: duckdb:PATH, duckdb:memory: or postgresql://user@host:port/db (default: ${DEFAULT-VALUE}).")
        String store;

        @Mixin
        GraphOption graph;

        @Option(names = "--filter", description = "column OP value; repeat to combine with AND.")
        List<String> filters = new ArrayList<>();

        @Option(names = "--format", defaultValue = "json", description = "json (JSON lines) or table (default: ${DEFAULT-VALUE}).")
        Format format;

        @Option(names = "--hash", defaultValue = "xxhash32", paramLabel = "ALGO", converter = HashOptionConverters.Algorithm.class,
                description = "The store's hash: xxhash32 (default), xxhash64, md5 or sha256.")
        HashAlgorithm hash;

        @Option(names = "--hash-length", defaultValue = "8", paramLabel = "N", converter = HashOptionConverters.Length.class,
                description = "The store's truncation length of hashes and feature versions (>= 8, default 8).")
        int hashLength;

        FeatureGraph readGraph() {
            return graph.load();
        }

        MetadataStore open(FeatureGraph features, AccessMode mode) {
            return MetadataStores.open(store, features, mode, new SampleHasher(hash, hashLength));
        }

        Filter filter(CommandLine cli) {
            return parse(cli, filters);
        }

        static Filter parse(CommandLine cli, List<String> filters) {
            if (filters.isEmpty()) {
                return null;
            }
            List<Filter> parsed = new ArrayList<>();
            for (String text : filters) {
                try {
                    parsed.add(Filter.parse(text));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(cli, e.getMessage());
                }
            }
            return parsed.size() == 1 ? parsed.get(0) : Filter.and(parsed);
        }
    }

    @Command(name = "read", mixinStandardHelpOptions = true, description = "Print the current rows of a feature.")
    static final class Read implements Callable<Integer> {
        @Mixin StoreOptions options;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--feature", required = true, description = "Feature key, e.g. example/video.")
        String feature;

        @Option(names = "--history", description = "Every appended row of every feature version.")
        boolean history;

        @Option(names = "--include-deleted", description = "Also soft-deleted samples.")
        boolean includeDeleted;

        @Option(names = "--feature-history", description = "The latest row per sample across every feature version"
                + " (Metaxy's with_feature_history), not only the current one.")
        boolean featureHistory;

        @Option(names = "--columns", split = ",", description = "User columns to print (ids and system columns always).")
        List<String> columns;

        @Override
        public Integer call() {
            Filter filter = options.filter(spec.commandLine());
            try (MetadataStore store = options.open(options.readGraph(), AccessMode.READ)) {
                List<MetadataRow> rows = store.read(feature, ReadOptions.defaults().filter(filter).columns(columns)
                        .history(history).includeDeleted(includeDeleted).featureHistory(featureHistory));
                print(spec.commandLine().getOut(), options.format, rows.stream().map(MetadataCommand::rowRecord).toList());
            }
            return 0;
        }
    }

    @Command(name = "resolve", mixinStandardHelpOptions = true,
            description = "Print what a feature must compute: new, stale and orphaned samples. A root feature needs --samples.")
    static final class Resolve implements Callable<Integer> {
        @Mixin StoreOptions options;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--feature", required = true, description = "Feature key.")
        String feature;

        @Option(names = "--sql", description = "Print the query instead of running it.")
        boolean sql;

        @Option(names = "--global-filter", description = "column OP value on the columns the increment is keyed by:"
                + " only these samples. Repeat to combine with AND.")
        List<String> globalFilters = new ArrayList<>();

        @Option(names = "--samples", paramLabel = "FILE", description = "JSON lines of samples replacing the upstream"
                + " (required for a root feature): the feature topic's row shape {\"sample_uid\": 1, \"path\": …,"
                + " \"metaxy_provenance_by_field\": {…}} or provenance's {\"ids\": {…}, \"metaxy_provenance_by_field\": {…}}; '-' = stdin.")
        String samples;

        @Override
        public Integer call() throws java.io.IOException {
            Filter filter = options.filter(spec.commandLine());
            Filter global = StoreOptions.parse(spec.commandLine(), globalFilters);
            FeatureGraph features = options.readGraph();
            ResolveProgress progress = new ResolveProgress();
            ResolveOptions resolve = ResolveOptions.defaults().targetFilter(filter).globalFilter(global).progress(progress);
            if (samples != null) {
                resolve = resolve.samples(readSamples(spec.commandLine(), features, feature, samples));
            }
            try (MetadataStore store = options.open(features, AccessMode.READ)) {
                var lazy = store.resolveUpdateLazy(feature, resolve);
                if (sql) {
                    spec.commandLine().getOut().println(lazy.sql());
                    spec.commandLine().getOut().println("-- parameters: " + lazy.parameters());
                    return 0;
                }
                Increment inc;
                try (ProgressLine line = ProgressLine.start("resolve " + feature, spec.commandLine().getErr(),
                        System.console() != null)) {
                    line.update(() -> progress.rowsRead() + " rows scanned, " + progress.found() + " increments found");
                    inc = lazy.collect();
                }
                List<Map<String, Object>> records = new ArrayList<>();
                inc.added().forEach(r -> records.add(incrementRecord("new", r)));
                inc.stale().forEach(r -> records.add(incrementRecord("stale", r)));
                inc.orphaned().forEach(r -> records.add(incrementRecord("orphaned", r)));
                print(spec.commandLine().getOut(), options.format, records);
            }
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete the samples matching --filter (or --all): soft by default (tombstones), --hard removes rows.")
    static final class Delete implements Callable<Integer> {
        @Mixin StoreOptions options;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--feature", required = true, description = "Feature key.")
        String feature;

        @Option(names = "--hard", description = "Remove rows physically instead of appending tombstones.")
        boolean hard;

        @Option(names = "--all", description = "Delete every sample (required when no --filter is given).")
        boolean all;

        @Option(names = "--with-feature-history", description = "Rows of every feature version, not only the current one.")
        boolean withFeatureHistory;

        @Override
        public Integer call() {
            Filter filter = options.filter(spec.commandLine());
            if (filter == null && !all) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give --filter, or --all to delete every sample");
            }
            try (MetadataStore store = options.open(options.readGraph(), AccessMode.WRITE)) {
                int n = store.delete(feature, filter, hard ? DeleteMode.HARD : DeleteMode.SOFT, withFeatureHistory);
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("feature", feature);
                record.put("mode", hard ? "hard" : "soft");
                record.put(hard ? "rows_removed" : "samples_deleted", n);
                print(spec.commandLine().getOut(), options.format, List.of(record));
            }
            return 0;
        }
    }

    /**
     * Per feature: its current rows and increment counts. {@code --global-filter} applies to each
     * feature whose increments are keyed by every column it names
     * ({@link ResolveOptions#targetColumns}); the other features are listed with empty counts and
     * a {@code skipped} note rather than silently unfiltered. {@code --filter} is Metaxy's target
     * filter (each feature's own stored rows); a feature whose table lacks a column it names is
     * listed with an {@code error}. A root feature has no upstream to compare with: as in
     * Metaxy's status, its counts are 0 ({@code root: true}).
     */
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Per feature: current rows and new/stale/orphaned counts. --global-filter applies to the features keyed"
                    + " by its columns (the others are listed with a 'skipped' note); --filter filters each feature's own rows.")
    static final class Status implements Callable<Integer> {
        @Mixin StoreOptions options;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--feature", description = "Only this feature (default: every feature of the graph).")
        String feature;

        @Option(names = "--global-filter", description = "column OP value on the increment keys; repeat to combine with AND.")
        List<String> globalFilters = new ArrayList<>();

        @Override
        public Integer call() {
            FeatureGraph graph = options.readGraph();
            List<Map<String, Object>> records = new ArrayList<>();
            try (MetadataStore store = options.open(graph, AccessMode.READ);
                    ProgressLine progress = ProgressLine.start("status", spec.commandLine().getErr(), System.console() != null)) {
                List<FeatureKey> keys = feature == null ? graph.topologicalOrder() : List.of(FeatureKey.of(feature));
                Filter filter = options.filter(spec.commandLine());
                Filter global = StoreOptions.parse(spec.commandLine(), globalFilters);
                for (FeatureKey key : keys) {
                    progress.update(key + " (" + (records.size() + 1) + " of " + keys.size() + " features)");
                    Map<String, Object> record = new LinkedHashMap<>();
                    record.put("feature", key.toString());
                    FeatureSpec featureSpec = graph.spec(key);
                    List<String> keyColumns = ResolveOptions.targetColumns(featureSpec);
                    List<String> missing = global == null ? List.of()
                            : global.columns().stream().filter(c -> !keyColumns.contains(c)).toList();
                    if (!missing.isEmpty()) {
                        for (String count : List.of("rows", "new", "stale", "orphaned")) {
                            record.put(count, null);
                        }
                        record.put("skipped", "--global-filter names " + missing + ", not among its keys " + keyColumns);
                        records.add(record);
                        continue;
                    }
                    try {
                        Filter rows = global == null ? filter : filter == null ? global : Filter.and(global, filter);
                        record.put("rows", store.read(key, ReadOptions.defaults().filter(rows)).size());
                        if (featureSpec.isRoot()) {
                            record.put("new", 0);
                            record.put("stale", 0);
                            record.put("orphaned", 0);
                            record.put("root", true);
                        } else {
                            Increment inc = store.resolveUpdate(key, ResolveOptions.defaults().targetFilter(filter).globalFilter(global));
                            record.put("new", inc.added().size());
                            record.put("stale", inc.stale().size());
                            record.put("orphaned", inc.orphaned().size());
                        }
                    } catch (SchemaMismatchException e) {
                        record.keySet().retainAll(List.of("feature"));
                        for (String count : List.of("rows", "new", "stale", "orphaned")) {
                            record.put(count, null);
                        }
                        record.put("error", e.getMessage());
                    }
                    records.add(record);
                }
            }
            print(spec.commandLine().getOut(), options.format, records);
            return 0;
        }
    }

    /**
     * Reads {@code --samples}: JSON lines, each a feature-topic row (id and user columns at the
     * top level with {@code metaxy_provenance_by_field}) or {@code provenance}'s root shape
     * ({@code {"ids": {…}, "metaxy_provenance_by_field": {…}}}). {@code metaxy_provenance} is
     * checked by the store when given; other system columns are ignored.
     */
    static List<MetadataRow> readSamples(CommandLine cli, FeatureGraph graph, String feature, String file) throws java.io.IOException {
        FeatureSpec target;
        try {
            target = graph.find(FeatureKey.of(feature)).orElse(null);
        } catch (RuntimeException e) {
            target = null;
        }
        if (target == null) {
            throw new CommandLine.ParameterException(cli, "Invalid value for option '--feature': feature '" + feature
                    + "' is not in the graph");
        }
        List<String> lines = file.equals("-")
                ? new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8)).lines().toList()
                : java.nio.file.Files.readAllLines(java.nio.file.Path.of(file));
        List<MetadataRow> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String where = "--samples " + file + " line " + (i + 1) + ": ";
            JsonNode node;
            try {
                node = JSON.readTree(lines.get(i));
            } catch (JsonProcessingException e) {
                throw new CommandLine.ParameterException(cli, where + "not valid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) {
                throw new CommandLine.ParameterException(cli, where + "expected a JSON object");
            }
            JsonNode idsNode = node.get("ids") != null && node.get("ids").isObject() ? node.get("ids") : node;
            Map<String, Object> ids = new LinkedHashMap<>();
            for (String id : target.idColumns()) {
                JsonNode value = idsNode.get(id);
                if (value == null || value.isNull() || value.isContainerNode()) {
                    throw new CommandLine.ParameterException(cli, where + "no value for id column '" + id + "'");
                }
                ids.put(id, scalar(value));
            }
            MetadataRow.Builder row = MetadataRow.builder().ids(ids);
            var it = node.fields();
            while (it.hasNext()) {
                var e = it.next();
                String name = e.getKey();
                if (name.equals("ids") && idsNode != node || target.idColumns().contains(name) && idsNode == node) {
                    continue;
                }
                if (name.equals(SystemColumns.PROVENANCE_BY_FIELD)) {
                    if (!e.getValue().isObject()) {
                        throw new CommandLine.ParameterException(cli, where + "'" + name + "' must be an object of field -> text");
                    }
                    Map<String, String> byField = new LinkedHashMap<>();
                    e.getValue().fields().forEachRemaining(f -> byField.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().asText()));
                    row.provenanceByField(byField);
                } else if (name.equals(SystemColumns.PROVENANCE)) {
                    row.provenance(e.getValue().isNull() ? null : e.getValue().asText());
                } else if (!SystemColumns.isSystem(name)) {
                    if (e.getValue().isContainerNode()) {
                        throw new CommandLine.ParameterException(cli, where + "column '" + name + "' must be a scalar");
                    }
                    row.column(name, e.getValue().isNull() ? null : scalar(e.getValue()));
                }
            }
            out.add(row.build());
        }
        return out;
    }

    private static Object scalar(JsonNode value) {
        if (value.isIntegralNumber()) {
            return value.asLong();
        }
        if (value.isNumber()) {
            return value.asDouble();
        }
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        return value.asText();
    }

    static Map<String, Object> rowRecord(MetadataRow row) {
        Map<String, Object> out = new LinkedHashMap<>(row.ids());
        out.putAll(row.columns());
        out.put(SystemColumns.PROVENANCE_BY_FIELD, row.provenanceByField());
        out.put(SystemColumns.PROVENANCE, row.provenance());
        out.put(SystemColumns.DATA_VERSION_BY_FIELD, row.dataVersionByField());
        out.put(SystemColumns.DATA_VERSION, row.dataVersion());
        out.put(SystemColumns.FEATURE_VERSION, row.featureVersion());
        out.put(SystemColumns.CREATED_AT, row.createdAt() == null ? null : row.createdAt().toString());
        out.put(SystemColumns.UPDATED_AT, row.updatedAt() == null ? null : row.updatedAt().toString());
        out.put(SystemColumns.DELETED_AT, row.deletedAt() == null ? null : row.deletedAt().toString());
        out.put(SystemColumns.MATERIALIZATION_ID, row.materializationId());
        if (row.projectVersion() != null) {
            out.put(SystemColumns.PROJECT_VERSION, row.projectVersion());
        }
        if (row.definitionVersion() != null) {
            out.put(SystemColumns.DEFINITION_VERSION, row.definitionVersion());
        }
        return out;
    }

    static Map<String, Object> incrementRecord(String kind, IncrementRow row) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", kind);
        out.putAll(row.ids());
        out.put(SystemColumns.PROVENANCE_BY_FIELD, row.provenanceByField());
        out.put(SystemColumns.PROVENANCE, row.provenance());
        out.put("recorded_provenance", row.recordedProvenance());
        if (!row.upstream().isEmpty()) {
            out.put("upstream", row.upstream());
        }
        if (!row.members().isEmpty()) {
            // N:1: the group's members by parent, as the streaming job emits them.
            out.put("members", row.members());
        }
        return out;
    }

    static void print(PrintWriter out, Format format, List<Map<String, Object>> records) {
        if (format == Format.json) {
            for (Map<String, Object> record : records) {
                out.println(json(record));
            }
        } else {
            LinkedHashSet<String> columns = new LinkedHashSet<>();
            records.forEach(r -> columns.addAll(r.keySet()));
            List<String> header = new ArrayList<>(columns);
            List<List<String>> cells = new ArrayList<>();
            for (Map<String, Object> record : records) {
                List<String> line = new ArrayList<>();
                for (String column : header) {
                    Object value = record.get(column);
                    line.add(value == null ? "" : value instanceof Map ? json(value) : String.valueOf(value));
                }
                cells.add(line);
            }
            int[] widths = new int[header.size()];
            for (int i = 0; i < widths.length; i++) {
                widths[i] = header.get(i).length();
                for (List<String> line : cells) {
                    widths[i] = Math.max(widths[i], line.get(i).length());
                }
            }
            out.println(formatLine(header, widths));
            for (List<String> line : cells) {
                out.println(formatLine(line, widths));
            }
        }
        out.flush();
    }

    private static String formatLine(List<String> values, int[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                sb.append("  ");
            }
            sb.append(String.format("%-" + widths[i] + "s", values.get(i)));
        }
        return sb.toString().stripTrailing();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + value, e);
        }
    }
}
