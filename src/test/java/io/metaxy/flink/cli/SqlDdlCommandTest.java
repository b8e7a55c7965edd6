package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code sql-ddl} text and {@code increments} usage errors, without a broker. */
class SqlDdlCommandTest {
    @Test
    void printsATablePerFeatureTopicAndIncrementsTopicAndOneOverAllIncrements() {
        CliRun run = CliRun.run("sql-ddl", "--graph", "examples/overview.yaml", "--bootstrap-servers", "b:9092",
                "--bounded");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String ddl = run.out();
        assertThat(ddl).contains("CREATE TABLE `example__video` (", "CREATE TABLE `example__crop_increments` (",
                "CREATE TABLE `increments` (", "'topic' = 'metaxy.example__crop.increments;metaxy.example__stt.increments;"
                        + "metaxy.example__face_detection.increments'",
                "'properties.isolation.level' = 'read_committed'", "'scan.bounded.mode' = 'latest-offset'",
                "'properties.bootstrap.servers' = 'b:9092'", "`sample_uid` STRING",
                "`cause` ROW<`topic` STRING, `partition` INT, `offset` BIGINT, `redeploy` STRING>");
        assertThat(ddl).doesNotContain("example__video_increments");
        assertThat(ddl.split("CREATE TABLE").length - 1).isEqualTo(4 + 3 + 1);
        assertThat(CliRun.run("sql-ddl", "--graph", "examples/overview.yaml").out())
                .doesNotContain("scan.bounded.mode");
    }

    /** The shared Kafka options: client properties become the connector's 'properties.*' options. */
    @Test
    void kafkaPropertiesBecomeConnectorProperties() {
        CliRun run = CliRun.run("sql-ddl", "--graph", "examples/overview.yaml", "--topic-prefix", "p.",
                "--kafka-property", "security.protocol=SASL_SSL", "--kafka-property", "sasl.jaas.config=x password='s'");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("'properties.security.protocol' = 'SASL_SSL'",
                "'properties.sasl.jaas.config' = 'x password=''s'''", "'topic' = 'p.example__video'",
                "'properties.bootstrap.servers' = '127.0.0.1:9092'");
    }

    @Test
    void incrementsRefusesUnknownKindsAndFormats() {
        assertThat(CliRun.run("increments", "--feature", "example/crop", "--kind", "old").exitCode()).isEqualTo(2);
        assertThat(CliRun.run("increments", "--feature", "example/crop", "--format", "xml").exitCode()).isEqualTo(2);
        assertThat(IncrementsCommand.incrementsTopic("metaxy.", "example/face-detection"))
                .isEqualTo("metaxy.example__face_detection.increments");
    }
}
