package io.metaxy.flink.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A producer that checks every send, and a read_committed consumer that accumulates. */
public final class KafkaTestClient implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    final List<Received> received = new ArrayList<>();

    public record Received(String topic, String key, String value, JsonNode json) {}

    public KafkaTestClient(String bootstrap, Collection<String> readTopics) {
        this(bootstrap, readTopics, 1);
    }

    public KafkaTestClient(String bootstrap, Collection<String> readTopics, int partitionsPerTopic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("acks", "all");
        p.put("max.request.size", String.valueOf(4 * 1024 * 1024));
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        c.put("isolation.level", "read_committed");
        c.put("auto.offset.reset", "earliest");
        c.put("enable.auto.commit", "false");
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = readTopics.stream()
                .flatMap(t -> java.util.stream.IntStream.range(0, partitionsPerTopic).mapToObj(i -> new TopicPartition(t, i)))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    public void send(String topic, String key, String value) throws Exception {
        send(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    void send(String topic, byte[] key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** Polls once and returns everything received so far. */
    public List<Received> poll() throws Exception {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            String value = r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8);
            received.add(new Received(r.topic(), r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                    value, json(value)));
        }
        return received;
    }

    /** Input topics carry deliberately broken records too: those have no JSON. */
    private static JsonNode json(String value) {
        try {
            return value == null ? null : JSON.readTree(value);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    public List<Received> on(String topic) throws Exception {
        poll();
        return received.stream().filter(r -> r.topic().equals(topic)).toList();
    }

    public List<Received> on(String topic, String kind) throws Exception {
        return on(topic).stream().filter(r -> r.json() != null && kind.equals(r.json().path("kind").asText())).toList();
    }

    public static String row(Map<String, ?> value) throws Exception {
        return JSON.writeValueAsString(value);
    }

    @Override
    public void close() {
        producer.close();
        consumer.close();
    }
}
