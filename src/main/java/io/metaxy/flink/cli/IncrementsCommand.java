package io.metaxy.flink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code increments}: prints a feature's increments topic ({@code read_committed}), as a table or
 * as JSON lines. Without {@code --follow} it ends at the end offsets taken at its start.
 *
 * <pre>{@code
 * java -jar target/metaxy-flink.jar increments --feature example/crop
 * java -jar target/metaxy-flink.jar increments --feature example/stt --follow --kind stale --format json
 * }</pre>
 */
@Command(name = "increments", mixinStandardHelpOptions = true,
        description = "Print a feature's increments topic (read_committed), as a table or JSON lines.")
public final class IncrementsCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--feature", required = true, paramLabel = "KEY", description = "Feature key, e.g. example/crop.")
    String feature;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--follow", description = "Keep printing new increments until Ctrl-C.")
    boolean follow;

    @Option(names = "--kind", description = "Only this kind: new, stale, orphaned or retracted.")
    String kind;

    @Option(names = "--format", defaultValue = "table", description = "table or json (one event per line; default ${DEFAULT-VALUE}).")
    String format;

    /** Stops a {@code --follow} from another thread (tests). */
    final AtomicBoolean stop = new AtomicBoolean();

    /** The increments topic of {@code feature} under {@code prefix}. */
    static String incrementsTopic(String prefix, String feature) {
        return prefix + io.metaxy.flink.definitions.FeatureKey.of(feature).tableName() + ".increments";
    }

    @Override
    public Integer call() throws Exception {
        if (!format.equals("table") && !format.equals("json")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--format is table or json");
        }
        if (kind != null && !List.of("new", "stale", "orphaned", "retracted").contains(kind)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--kind is new, stale, orphaned or retracted");
        }
        String topic = incrementsTopic(kafka.topicPrefix, feature);
        String bootstrapServers = kafka.bootstrapServersOr(KafkaOptions.LOCAL_BROKER);
        PrintWriter out = spec.commandLine().getOut();
        Properties c = kafka.clientProperties();
        c.put("bootstrap.servers", bootstrapServers);
        c.put("isolation.level", "read_committed");
        c.put("enable.auto.commit", "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("no topic " + topic + " on " + bootstrapServers);
            }
            List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            if (format.equals("table")) {
                out.printf("%-9s %-8s %-6s %-28s %-10s %-10s %s%n", "OFFSET", "KIND", "", "IDS", "VERSION",
                        "PROVENANCE", "CAUSE / UPSTREAM");
            }
            long shown = 0;
            while (!stop.get()) {
                if (!follow && parts.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    if (!follow && r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    if (r.value() == null) {
                        continue;
                    }
                    String text = new String(r.value(), StandardCharsets.UTF_8);
                    JsonNode e = JSON.readTree(text);
                    if (kind != null && !kind.equals(e.path("kind").asText())) {
                        continue;
                    }
                    shown++;
                    if (format.equals("json")) {
                        out.println(text);
                    } else {
                        out.println(row(r.partition() + "@" + r.offset(), e));
                    }
                }
                out.flush();
            }
            if (format.equals("table")) {
                out.println("(" + shown + " increments" + (kind != null ? " of kind " + kind : "") + " on " + topic + ")");
            }
            out.flush();
        }
        return 0;
    }

    static String row(String position, JsonNode e) {
        String kind = e.path("kind").asText();
        String retracts = e.hasNonNull("retracts") ? e.get("retracts").asText() : "";
        JsonNode cause = e.path("cause");
        String why = cause.has("redeploy") ? "redeploy " + cause.get("redeploy").asText()
                : cause.path("topic").asText() + "@" + cause.path("offset").asText();
        String upstream = e.path("upstream").isEmpty() ? "" : " " + e.path("upstream");
        if (e.path("members").size() > 0) {
            upstream += " members=" + e.path("members").size();
        }
        String provenance = e.hasNonNull("metaxy_provenance") ? e.get("metaxy_provenance").asText() : "-";
        if (provenance.length() > 10) {
            provenance = provenance.substring(0, 10);
        }
        return String.format("%-9s %-8s %-6s %-28s %-10s %-10s %s%s", position, kind, retracts,
                e.path("ids").toString(), e.path("feature_version").asText(), provenance, why, upstream);
    }
}
