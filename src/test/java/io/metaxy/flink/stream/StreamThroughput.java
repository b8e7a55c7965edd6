package io.metaxy.flink.stream;

import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import java.io.File;
import java.net.URI;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.flink.configuration.Configuration;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Root events per second through the whole job (Kafka source, parse, route, RocksDB keyed state,
 * exactly-once Kafka sink, 1 s checkpoints) on the overview graph: N video rows are produced
 * first, then a bounded job consumes them; each row yields two increments (crop, stt).
 *
 * <pre>
 * mvn -o -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.metaxy.flink.stream.StreamThroughput -Dexec.args="200000 1"
 * </pre>
 * Arguments: number of root rows (default 200000), parallelism (default 1), and optionally a
 * store URL (e.g. {@code duckdb:/tmp/mxt.duckdb}, a fresh file) to wire the {@link StoreSink} too.
 */
public final class StreamThroughput {
    private StreamThroughput() {}

    public static void main(String[] args) throws Exception {
        // exec:java loads the project in a child class loader that Flink's MiniCluster cannot see
        // (its user-code loader hangs off the application loader): run in a fresh JVM instead.
        if (StreamThroughput.class.getClassLoader() instanceof URLClassLoader loader
                && loader != ClassLoader.getSystemClassLoader()) {
            String classpath = Arrays.stream(loader.getURLs()).map(u -> Path.of(URI.create(u.toString())).toString())
                    .collect(Collectors.joining(File.pathSeparator));
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx2g", "-cp", classpath, StreamThroughput.class.getName()));
            command.addAll(List.of(args));
            System.exit(new ProcessBuilder(command).inheritIO().start().waitFor());
        }
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int parallelism = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String storeUrl = args.length > 2 && !args[2].equals("none") ? args[2] : null;
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {
            StreamPlan plan = StreamPlan.of(HarnessDriver.overview(1));
            kafka.createTopics(plan.allTopics(), parallelism);
            String video = plan.feature("example/video").topic;
            long t0 = System.nanoTime();
            produce(kafka.bootstrapServers(), video, n);
            System.out.printf("produced %d rows in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);

            Configuration config = IncrementJob.configuration(Duration.ofSeconds(1),
                    Files.createTempDirectory("mxt").toUri().toString());
            // RocksDB's block cache and write buffers come out of managed memory; the local default is small.
            config.setString("taskmanager.memory.managed.size", System.getProperty("managed", "1g"));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
            env.setParallelism(parallelism);
            KafkaConnections connections = new KafkaConnections(kafka.bootstrapServers(), plan, "throughput");
            StoreSink storeSink = storeUrl == null ? null : new StoreSink(storeUrl, plan, () -> HarnessDriver.overview(1));
            new IncrementJob(plan, connections.source(true), connections.incrementSink(), connections.deadLetterSink(), storeSink)
                    .build(env);
            long start = System.nanoTime();
            env.execute("throughput");
            double seconds = (System.nanoTime() - start) / 1e9;
            long crop = count(kafka.bootstrapServers(), plan.feature("example/crop").incrementsTopic, parallelism);
            long stt = count(kafka.bootstrapServers(), plan.feature("example/stt").incrementsTopic, parallelism);
            System.out.printf("job: %d root rows in %.1f s (incl. ~startup) = %.0f root events/s; increments crop=%d stt=%d%n",
                    n, seconds, n / seconds, crop, stt);
            if (storeUrl != null) {
                try (io.metaxy.flink.store.MetadataStore store = io.metaxy.flink.store.MetadataStores.open(storeUrl,
                        HarnessDriver.overview(1), io.metaxy.flink.store.AccessMode.READ)) {
                    System.out.printf("store %s: %d example/video rows%n", storeUrl, store.read("example/video").size());
                }
            }
        }
    }

    private static void produce(String servers, String topic, int n) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        p.put("linger.ms", "20");
        p.put("batch.size", String.valueOf(256 * 1024));
        p.put("compression.type", "lz4");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> pending = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String key = "{\"sample_uid\":" + i + "}";
                String value = "{\"path\":\"s3://bucket/" + i + ".mp4\",\"metaxy_provenance_by_field\":{\"audio\":\"a" + i
                        + "\",\"frames\":\"f" + i + "\"}}";
                pending.add(producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
                        value.getBytes(StandardCharsets.UTF_8))));
                if (pending.size() == 10_000) {
                    for (Future<RecordMetadata> f : pending) {
                        f.get();
                    }
                    pending.clear();
                }
            }
            for (Future<RecordMetadata> f : pending) {
                f.get();
            }
        }
    }

    private static long count(String servers, String topic, int partitions) {
        Properties c = new Properties();
        c.put("bootstrap.servers", servers);
        c.put("isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long count = 0;
            int empty = 0;
            while (empty < 5) {
                int got = consumer.poll(Duration.ofMillis(500)).count();
                count += got;
                empty = got == 0 ? empty + 1 : 0;
            }
            return count;
        }
    }
}
