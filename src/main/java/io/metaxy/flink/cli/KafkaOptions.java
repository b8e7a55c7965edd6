package io.metaxy.flink.cli;

import io.metaxy.flink.stream.StreamPlan;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * The Kafka options every command that talks to the topics shares ({@code run}, {@code increments},
 * {@code sql-ddl}), as a picocli mixin: where the broker is, the client properties (SASL/SSL, …)
 * and the topics' prefix.
 *
 * <pre>{@code
 * @Mixin KafkaOptions kafka;
 * ... kafka.bootstrapServersOr("127.0.0.1:9092"), kafka.clientProperties(), kafka.topicPrefix ...
 * }</pre>
 */
public final class KafkaOptions {
    /** Where a command that only reads (increments, sql-ddl) looks when --bootstrap-servers is not given. */
    static final String LOCAL_BROKER = "127.0.0.1:9092";

    // No defaultValue: `run` must tell "not given" (then --embedded-kafka or the configuration's key)
    // from a value; the reading commands fall back to LOCAL_BROKER.
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (HOST:PORT,...; increments and sql-ddl default to " + LOCAL_BROKER + ").")
    String bootstrapServers;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "A Kafka client property (SASL/SSL, "
            + "...) for every client the command creates; repeatable. Values are never logged.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--kafka-properties", paramLabel = "FILE", description = "Kafka client properties from a file "
            + "(java.util.Properties format); --kafka-property wins over it.")
    Path kafkaPropertiesFile;

    @Option(names = "--topic-prefix", defaultValue = StreamPlan.DEFAULT_TOPIC_PREFIX,
            description = "Prefix of every topic (default ${DEFAULT-VALUE}).")
    String topicPrefix;

    /** --bootstrap-servers, or {@code fallback} when it was not given. */
    String bootstrapServersOr(String fallback) {
        return bootstrapServers != null ? bootstrapServers : fallback;
    }

    /** --kafka-properties FILE, then every --kafka-property. */
    Properties clientProperties() throws IOException {
        Properties props = new Properties();
        if (kafkaPropertiesFile != null) {
            try (Reader in = Files.newBufferedReader(kafkaPropertiesFile, StandardCharsets.UTF_8)) {
                props.load(in);
            }
        }
        props.putAll(kafkaProperties);
        return props;
    }
}
