package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Usage errors of {@code run} (the job itself is covered by the stream tests). */
class RunCommandTest {
    static int run(StringWriter err, String... args) {
        CommandLine cli = MetaxyCommand.newCommandLine();
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void needsExactlyOneBroker() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "run", "--graph", "g.yaml")).isEqualTo(2);
        assertThat(err.toString()).contains("exactly one of --bootstrap-servers and --embedded-kafka");
        assertThat(run(new StringWriter(), "run", "--graph", "g.yaml", "--embedded-kafka", "--bootstrap-servers", "h:1"))
                .isEqualTo(2);
    }

    @Test
    void storeOptionsAreCheckedBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "run", "--graph", "g.yaml", "--embedded-kafka", "--store", "duckdb:x.duckdb", "--no-store"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("at most one of --store and --no-store");
        StringWriter bad = new StringWriter();
        String graph = java.nio.file.Path.of("examples", "overview.yaml").toString();
        // A bad URL fails before any broker or job starts (the broker address is unreachable on purpose).
        assertThat(run(bad, "run", "--graph", graph, "--bootstrap-servers", "127.0.0.1:1", "--store", "nope:x"))
                .isNotZero();
        assertThat(bad.toString()).contains("unsupported store URL 'nope:x'");
    }

    @Test
    void aBootstrapStoreThatIsNotThereFailsBeforeAnythingStarts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        StringWriter err = new StringWriter();
        String graph = java.nio.file.Path.of("examples", "overview.yaml").toString();
        String missing = dir.resolve("none.duckdb").toString();
        assertThat(run(err, "run", "--graph", graph, "--bootstrap-servers", "127.0.0.1:1", "--no-store",
                "--bootstrap-from-store", "duckdb:" + missing)).isNotZero();
        assertThat(err.toString()).contains("cannot open DuckDB store '" + missing + "' for reading: no such file");
    }

    @Test
    void helpListsTheOptions() {
        StringWriter out = new StringWriter();
        CommandLine cli = MetaxyCommand.newCommandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("run", "--help")).isZero();
        assertThat(out.toString()).contains("--embedded-kafka", "--kafka-port", "--topic-prefix", "--checkpoint-interval",
                "--state-dir", "--store", "--no-store", "--bootstrap-from-store", "--restore", "--data-dir", "--fresh", "--transaction-timeout", "--hash",
                "--hash-length");
    }

    @Test
    void defaultsComeFromMetaxyOptions() {
        CommandLine cli = MetaxyCommand.newCommandLine();
        cli.parseArgs("run", "--graph", "g.yaml", "--embedded-kafka");
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.kafkaOptions.topicPrefix).isEqualTo(io.metaxy.flink.config.MetaxyOptions.TOPIC_PREFIX.defaultValue());
        assertThat(run.checkpointInterval).isEqualTo(io.metaxy.flink.config.MetaxyOptions.CHECKPOINT_INTERVAL.defaultValue());
        assertThat(run.transactionTimeout).isEqualTo(io.metaxy.flink.config.MetaxyOptions.TRANSACTION_TIMEOUT.defaultValue());
        assertThat(run.webPort).isEqualTo(io.metaxy.flink.config.MetaxyOptions.LOCAL_WEB_PORT.defaultValue());
        assertThat(run.dataDir.toString()).isEqualTo(io.metaxy.flink.config.MetaxyOptions.DATA_DIR.defaultValue());
        assertThat(run.parallelism).isNull();
    }

    @Test
    void deliveryFromTheCommandLineOrTheConfiguration() {
        CommandLine cli = MetaxyCommand.newCommandLine();
        cli.parseArgs("run", "--graph", "g.yaml", "--embedded-kafka");
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.delivery).isEqualTo(io.metaxy.flink.config.MetaxyOptions.DELIVERY.defaultValue())
                .isEqualTo(io.metaxy.flink.stream.kafka.Delivery.EXACTLY_ONCE);
        cli = MetaxyCommand.newCommandLine();
        cli.parseArgs("run", "--graph", "g.yaml", "--embedded-kafka", "--delivery", "at-least-once");
        run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.delivery).isEqualTo(io.metaxy.flink.stream.kafka.Delivery.AT_LEAST_ONCE);
        // The config file's spelling (Flink enum options) reads the same.
        org.apache.flink.configuration.Configuration conf = new org.apache.flink.configuration.Configuration();
        conf.setString("metaxy.delivery", "AT_LEAST_ONCE");
        assertThat(conf.get(io.metaxy.flink.config.MetaxyOptions.DELIVERY))
                .isEqualTo(io.metaxy.flink.stream.kafka.Delivery.AT_LEAST_ONCE);
        StringWriter err = new StringWriter();
        assertThat(run(err, "run", "--graph", "g.yaml", "--embedded-kafka", "--delivery", "twice")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown delivery 'twice'");
        assertThat(io.metaxy.flink.stream.IncrementJob.configuration(java.time.Duration.ofSeconds(1), null,
                io.metaxy.flink.stream.kafka.Delivery.AT_LEAST_ONCE).getString("execution.checkpointing.mode", ""))
                .isEqualTo("AT_LEAST_ONCE");
    }

    @Test
    void kafkaPropertiesFromAFileAndTheCommandLine() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("kafka", ".properties");
        try {
            java.nio.file.Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n");
            CommandLine cli = MetaxyCommand.newCommandLine();
            cli.parseArgs("run", "--graph", "g.yaml", "--bootstrap-servers", "h:1", "--kafka-properties", file.toString(),
                    "--kafka-property", "sasl.mechanism=SCRAM-SHA-512", "--kafka-property", "ssl.truststore.type=PEM",
                    "--parallelism", "4");
            RunCommand run = cli.getSubcommands().get("run").getCommand();
            java.util.Properties props = run.kafkaOptions.clientProperties();
            assertThat(props).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                    .containsEntry("ssl.truststore.type", "PEM");
            assertThat(run.parallelism).isEqualTo(4);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
