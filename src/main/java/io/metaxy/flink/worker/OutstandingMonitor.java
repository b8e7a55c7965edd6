package io.metaxy.flink.worker;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.stream.StreamPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every partition of every feature topic and increments topic of a plan from the beginning
 * ({@code read_committed}, no consumer group) into one {@link OutstandingWork} per feature: what
 * the {@code demo} summary shows and what tests await ("nothing outstanding"). A record that is
 * not JSON is passed over (the job sends such records to its dead-letter topic). The map of work
 * is guarded by its own monitor: {@link #poll} updates it inside {@code synchronized (work())},
 * and a reader on another thread iterates it the same way.
 *
 * <pre>{@code
 * try (OutstandingMonitor monitor = new OutstandingMonitor("127.0.0.1:9092", plan)) {
 *     await().until(() -> monitor.poll(Duration.ofMillis(200)).done("example/crop", 5, 5));
 * }
 * }</pre>
 */
public final class OutstandingMonitor implements AutoCloseable {
    private static final String INCREMENTS_SUFFIX = ".increments";

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final StreamPlan plan;
    private final Map<String, OutstandingWork> work = Collections.synchronizedMap(new LinkedHashMap<>());

    public OutstandingMonitor(String bootstrapServers, StreamPlan plan) {
        this.plan = plan;
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrapServers);
        c.put("isolation.level", "read_committed");
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<String> topics = new ArrayList<>();
        for (StreamPlan.Feature f : plan.features()) {
            topics.add(f.topic);
            if (!f.isRoot()) {
                topics.add(f.incrementsTopic);
            }
            // a 1:N feature's rows answer per parent: the child rows carry the parent's `on` columns
            work.put(f.key, new OutstandingWork(f.expansion ? f.grain : List.of()));
        }
        // every partition: `run` creates one per subtask, and a worker may write to any of them
        List<TopicPartition> parts = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            infos.forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    /** Reads what arrives within {@code timeout}; returns this, for {@code monitor.poll(t).done(…)}. */
    public OutstandingMonitor poll(Duration timeout) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            JsonNode value;
            try {
                value = r.value() == null ? null : IncrementWorker.JSON.readTree(r.value());
            } catch (IOException e) {
                continue;
            }
            boolean increments = r.topic().endsWith(INCREMENTS_SUFFIX);
            StreamPlan.Feature f = plan.featureOfTopic(increments
                    ? r.topic().substring(0, r.topic().length() - INCREMENTS_SUFFIX.length()) : r.topic());
            synchronized (work) {
                if (increments) {
                    work.get(f.key).increment(key, value);
                } else {
                    work.get(f.key).row(key, value);
                }
            }
        }
        return this;
    }

    /** Reads up to the end offsets as of now (at most {@code timeout}). */
    public void drain(Duration timeout) {
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline
                && end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            poll(Duration.ofMillis(100));
        }
    }

    /** Feature key → its work, in the plan's order; synchronize on it to iterate. */
    public Map<String, OutstandingWork> work() {
        return work;
    }

    public OutstandingWork work(String feature) {
        return work.get(feature);
    }

    /**
     * Whether {@code feature} has seen at least {@code increments} increment events (and
     * {@code rows} records of its topic, unless negative) and has nothing outstanding.
     */
    public boolean done(String feature, long increments, long rows) {
        synchronized (work) {
            OutstandingWork w = work.get(feature);
            return w.increments() >= increments && (rows < 0 || w.rows() >= rows) && w.outstanding() == 0;
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
