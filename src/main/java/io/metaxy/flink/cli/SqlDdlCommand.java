package io.metaxy.flink.cli;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.stream.StreamPlan;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sql-ddl}: Flink SQL {@code CREATE TABLE} statements (kafka connector, json format,
 * {@code read_committed}) for every feature topic and increments topic of a graph, plus one
 * {@code increments} table over every increments topic:
 *
 * <pre>{@code
 * java -jar target/metaxy-flink.jar sql-ddl --graph examples/overview.yaml > metaxy.sql
 * -- then, in the Flink SQL client or TableEnvironment.executeSql:
 * SELECT feature, kind, COUNT(*) FROM increments GROUP BY feature, kind;
 * }</pre>
 *
 * Id columns are {@code STRING} (the JSON format reads integers into strings too); user columns are
 * not declared in the graph: add them to a feature table's column list as needed.
 */
@Command(name = "sql-ddl", mixinStandardHelpOptions = true,
        description = "Print Flink SQL CREATE TABLE DDL for the graph's feature and increments topics.")
public final class SqlDdlCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    GraphOption graph;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--bounded", description = "Scans end at the topics' latest offsets at query start "
            + "(scan.bounded.mode = latest-offset; for batch queries).")
    boolean bounded;

    @Override
    public Integer call() throws java.io.IOException {
        PrintWriter out = spec.commandLine().getOut();
        out.print(ddl(graph.load(), kafka.topicPrefix, kafka.bootstrapServersOr(KafkaOptions.LOCAL_BROKER),
                kafka.clientProperties(), bounded));
        out.flush();
        return 0;
    }

    /** The DDL text: one statement per feature topic, per increments topic, and {@code increments}. */
    public static String ddl(FeatureGraph graph, String topicPrefix, String bootstrapServers, boolean bounded) {
        return ddl(graph, topicPrefix, bootstrapServers, new Properties(), bounded);
    }

    /**
     * The same, with Kafka client properties (--kafka-property, --kafka-properties) as the
     * connector's {@code 'properties.<key>'} options, so a SASL/SSL broker works from SQL too.
     */
    public static String ddl(FeatureGraph graph, String topicPrefix, String bootstrapServers, Properties client,
            boolean bounded) {
        Map<String, String> properties = new TreeMap<>();
        client.stringPropertyNames().forEach(k -> properties.put(k, client.getProperty(k)));
        StreamPlan plan = StreamPlan.of(graph, topicPrefix);
        StringBuilder sql = new StringBuilder();
        List<String> incrementTopics = new ArrayList<>();
        for (StreamPlan.Feature f : plan.features()) {
            String table = f.topic.substring(topicPrefix.length());
            List<String> columns = new ArrayList<>();
            for (String id : f.idColumns) {
                columns.add(quote(id) + " STRING");
            }
            columns.add("`metaxy_provenance_by_field` MAP<STRING, STRING>");
            columns.add("`metaxy_data_version_by_field` MAP<STRING, STRING>");
            columns.add("`metaxy_feature_version` STRING");
            columns.add("`metaxy_deleted_at` STRING");
            columns.add("`metaxy_materialization_id` STRING");
            columns.addAll(metadataColumns());
            sql.append("-- feature ").append(f.key).append(": its rows (add the user columns you need)\n");
            sql.append(create(table, columns, List.of(f.topic), bootstrapServers, properties, bounded));
            if (!f.isRoot()) {
                incrementTopics.add(f.incrementsTopic);
                sql.append("-- feature ").append(f.key).append(": its increments (docs/protocol.md)\n");
                sql.append(create(table + "_increments", incrementColumns(), List.of(f.incrementsTopic),
                        bootstrapServers, properties, bounded));
            }
        }
        if (!incrementTopics.isEmpty()) {
            sql.append("-- every feature's increments: SELECT feature, kind, COUNT(*) FROM increments GROUP BY feature, kind\n");
            sql.append(create("increments", incrementColumns(), incrementTopics, bootstrapServers, properties, bounded));
        }
        return sql.toString();
    }

    static List<String> incrementColumns() {
        List<String> columns = new ArrayList<>(List.of(
                "`kind` STRING",
                "`feature` STRING",
                "`feature_version` STRING",
                "`ids` MAP<STRING, STRING>",
                "`metaxy_provenance_by_field` MAP<STRING, STRING>",
                "`metaxy_provenance` STRING",
                "`recorded_metaxy_provenance` STRING",
                "`retracts` STRING",
                "`upstream` MAP<STRING, STRING>",
                "`members` MAP<STRING, ARRAY<MAP<STRING, STRING>>>",
                "`upstream_omitted` BOOLEAN",
                "`cause` ROW<`topic` STRING, `partition` INT, `offset` BIGINT, `redeploy` STRING>"));
        columns.addAll(metadataColumns());
        return columns;
    }

    static List<String> metadataColumns() {
        return List.of(
                "`kafka_topic` STRING METADATA FROM 'topic' VIRTUAL",
                "`kafka_partition` INT METADATA FROM 'partition' VIRTUAL",
                "`kafka_offset` BIGINT METADATA FROM 'offset' VIRTUAL",
                "`kafka_timestamp` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL");
    }

    static String create(String table, List<String> columns, List<String> topics, String servers,
            Map<String, String> properties, boolean bounded) {
        StringBuilder s = new StringBuilder("CREATE TABLE ").append(quote(table)).append(" (\n");
        for (int i = 0; i < columns.size(); i++) {
            s.append("  ").append(columns.get(i)).append(i + 1 < columns.size() ? ",\n" : "\n");
        }
        s.append(") WITH (\n");
        s.append("  'connector' = 'kafka',\n");
        s.append("  'topic' = '").append(String.join(";", topics)).append("',\n");
        s.append("  'properties.bootstrap.servers' = '").append(literal(servers)).append("',\n");
        properties.forEach((k, v) -> s.append("  'properties.").append(literal(k)).append("' = '").append(literal(v))
                .append("',\n"));
        s.append("  'properties.isolation.level' = 'read_committed',\n");
        s.append("  'scan.startup.mode' = 'earliest-offset',\n");
        if (bounded) {
            s.append("  'scan.bounded.mode' = 'latest-offset',\n");
        }
        s.append("  'format' = 'json',\n");
        s.append("  'json.fail-on-missing-field' = 'false',\n");
        s.append("  'json.ignore-parse-errors' = 'true'\n");
        s.append(");\n\n");
        return s.toString();
    }

    /** The text of a SQL string literal ('' for a quote). */
    static String literal(String text) {
        return text.replace("'", "''");
    }

    static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }
}
