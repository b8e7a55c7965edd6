package io.metaxy.flink.benchmarks;

import io.metaxy.flink.stream.kafka.KafkaConnections;

import io.metaxy.flink.stream.RawRecord;
import java.nio.file.Files;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The same-run baselines of issue 8, each a Flink job on a MiniCluster inside the harness's JVM,
 * against the product job's embedded broker: the stateless exactly-once pass-through ceiling and
 * the hand-written Flink SQL formulation of the increment query.
 */
final class BaselineJobs {
    private BaselineJobs() {}

    /** Where the baselines' checkpoints go (the harness's work directory, deleted at its end). */
    static java.nio.file.Path checkpointBase = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));

    static Configuration config(long checkpointMs, String backend) throws Exception {
        Configuration c = new Configuration();
        c.setString("execution.checkpointing.interval", checkpointMs + " ms");
        c.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        c.setString("execution.checkpointing.min-pause", Math.min(200, checkpointMs / 2) + " ms");
        c.setString("state.backend.type", backend);
        String dir = Files.createTempDirectory(checkpointBase, "baseline-chk").toUri().toString();
        c.setString("execution.checkpointing.dir", dir);
        if (backend.equals("rocksdb") && Boolean.getBoolean("mxbench.baseline-changelog")) {
            // The SQL baseline on the product job's state backend (the state changelog over RocksDB), to compare like with like.
            io.metaxy.flink.stream.IncrementJob.stateChangelog(c, dir);
        }
        c.setString("taskmanager.memory.managed.size", "512m");
        c.setString("parallelism.default", "2");
        return c;
    }

    /** Copies every record of {@code in} to {@code out} (key and value as they are), exactly-once. */
    static JobClient passThrough(String servers, String in, String out, long checkpointMs) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config(checkpointMs, "hashmap"));
        env.setParallelism(2);
        Properties props = new Properties();
        props.put("isolation.level", "read_committed");
        KafkaSource<RawRecord> source = KafkaSource.<RawRecord>builder().setBootstrapServers(servers).setTopics(in)
                .setGroupId("bench-ceiling").setStartingOffsets(OffsetsInitializer.earliest()).setProperties(props)
                .setDeserializer(new KafkaConnections.RawDeserializer()).build();
        Properties producer = new Properties();
        producer.put("transaction.timeout.ms", "600000");
        KafkaSink<RawRecord> sink = KafkaSink.<RawRecord>builder().setBootstrapServers(servers)
                .setKafkaProducerConfig(producer).setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix("bench-ceiling-" + System.nanoTime())
                .setRecordSerializer((KafkaRecordSerializationSchema<RawRecord>) (r, ctx, ts) ->
                        new ProducerRecord<>(out, null, r.timestamp, r.key, r.value))
                .build();
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "in").sinkTo(sink).name("out");
        return env.executeAsync("bench pass-through ceiling");
    }

    private static String upsertSource(String name, String columns, String topic, String servers) {
        return "CREATE TABLE " + name + " (sample_uid BIGINT, " + columns + ", PRIMARY KEY (sample_uid) NOT ENFORCED) WITH ("
                + "'connector'='upsert-kafka','topic'='" + topic + "','properties.bootstrap.servers'='" + servers + "',"
                + "'properties.group.id'='bench-sql-" + name + "','properties.isolation.level'='read_committed',"
                + "'key.format'='json','value.format'='json','value.fields-include'='EXCEPT_KEY')";
    }

    /**
     * The increment query in Flink SQL: upsert-kafka sources, regular joins of the roots and a left
     * join of the leaf's recorded rows, the provenance formula with the {@link Xxh32} UDF, kept
     * where nothing or something else is recorded; mini-batch on, no upsert materializer; an
     * exactly-once upsert-kafka sink (a sample whose recorded row matches becomes a tombstone).
     * {@code wide}: the wide graph; else the simple one. Topics: {@code prefix + root/leaf/out}.
     */
    static TableResult sql(String servers, String prefix, boolean wide, long checkpointMs) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config(checkpointMs, "rocksdb"));
        env.setParallelism(2);
        StreamTableEnvironment t = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
        Configuration tc = t.getConfig().getConfiguration();
        tc.setString("table.exec.mini-batch.enabled", "true");
        tc.setString("table.exec.mini-batch.allow-latency", "200 ms");
        tc.setString("table.exec.mini-batch.size", "5000");
        tc.setString("table.exec.sink.upsert-materialize", "NONE");
        t.createTemporarySystemFunction("XXH", Xxh32.class);
        String query;
        if (!wide) {
            t.executeSql(upsertSource("video", "metaxy_provenance_by_field ROW<audio STRING, frames STRING>", prefix + "video", servers));
            t.executeSql(upsertSource("leaf", "metaxy_provenance_by_field ROW<embedding STRING>", prefix + "leaf", servers));
            query = "SELECT v.sample_uid, CASE WHEN l.sample_uid IS NULL THEN 'new' ELSE 'stale' END, v.p, XXH(v.p),"
                    + " l.metaxy_provenance_by_field.embedding FROM"
                    + " (SELECT sample_uid, XXH(CONCAT('embedding|1|bench/video.audio|', metaxy_provenance_by_field.audio,"
                    + " '|bench/video.frames|', metaxy_provenance_by_field.frames)) AS p FROM video) v"
                    + " LEFT JOIN leaf l ON v.sample_uid = l.sample_uid"
                    + " WHERE l.sample_uid IS NULL OR l.metaxy_provenance_by_field.embedding <> v.p";
        } else {
            t.executeSql(upsertSource("lft", "metaxy_provenance_by_field ROW<f1 STRING, f2 STRING, f3 STRING, f4 STRING>",
                    prefix + "left", servers));
            t.executeSql(upsertSource("rgt", "metaxy_provenance_by_field ROW<g1 STRING, g2 STRING, g3 STRING, g4 STRING>",
                    prefix + "right", servers));
            t.executeSql(upsertSource("leaf", "metaxy_provenance_by_field ROW<a STRING, b STRING>", prefix + "leaf", servers));
            StringBuilder parents = new StringBuilder();
            for (int i = 1; i <= 4; i++) {
                parents.append(", '|bench/left.f").append(i).append("|', l.metaxy_provenance_by_field.f").append(i);
            }
            for (int i = 1; i <= 4; i++) {
                parents.append(", '|bench/right.g").append(i).append("|', r.metaxy_provenance_by_field.g").append(i);
            }
            String joined = "SELECT l.sample_uid, XXH(CONCAT('a|1'" + parents + ")) AS pa, XXH(CONCAT('b|1'" + parents
                    + ")) AS pb FROM lft l JOIN rgt r ON l.sample_uid = r.sample_uid";
            query = "SELECT v.sample_uid, CASE WHEN w.sample_uid IS NULL THEN 'new' ELSE 'stale' END, CONCAT(v.pa, ',', v.pb),"
                    + " XXH(CONCAT(v.pa, '|', v.pb)), w.metaxy_provenance_by_field.a FROM (" + joined + ") v"
                    + " LEFT JOIN leaf w ON v.sample_uid = w.sample_uid"
                    + " WHERE w.sample_uid IS NULL OR w.metaxy_provenance_by_field.a <> v.pa OR w.metaxy_provenance_by_field.b <> v.pb";
        }
        t.executeSql("CREATE TABLE out_t (sample_uid BIGINT, kind STRING, provenance_by_field STRING, metaxy_provenance STRING,"
                + " recorded STRING, PRIMARY KEY (sample_uid) NOT ENFORCED) WITH ("
                + "'connector'='upsert-kafka','topic'='" + prefix + "out','properties.bootstrap.servers'='" + servers + "',"
                + "'key.format'='json','value.format'='json','value.fields-include'='EXCEPT_KEY',"
                + "'sink.delivery-guarantee'='exactly-once','sink.transactional-id-prefix'='bench-sql-" + System.nanoTime() + "',"
                + "'properties.transaction.timeout.ms'='600000')");
        return t.executeSql("INSERT INTO out_t " + query);
    }
}
