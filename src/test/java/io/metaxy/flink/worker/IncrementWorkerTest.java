package io.metaxy.flink.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.worker.IncrementWorker.Result;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker's batch rules on Kafka's mock clients: latest per sample, retractions, repeats, echoes, commits. */
class IncrementWorkerTest {
    static final TopicPartition INCREMENTS = new TopicPartition("metaxy.example__crop.increments", 0);
    MockConsumer<byte[], byte[]> consumer;
    MockProducer<byte[], byte[]> producer;
    List<String> computed;
    IncrementWorker worker;
    long offset;

    @BeforeEach
    void setUp() {
        consumer = new MockConsumer<>("earliest");
        producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        computed = new ArrayList<>();
        worker = IncrementWorker.builder("unused:9092", "example/crop")
                .handler(inc -> {
                    computed.add(inc.ids().get("sample_uid") + ":" + inc.kind() + ":" + inc.provenance());
                    return Result.of(Map.of("crop_path", inc.upstream().get("path") + ".crop"))
                            .withDataVersion(Map.of("audio", "d", "frames", "d"));
                }).build(consumer, producer);
        consumer.rebalance(List.of(INCREMENTS));
        consumer.updateBeginningOffsets(Map.of(INCREMENTS, 0L));
    }

    void event(int id, String kind, String provenance) {
        String byField = provenance == null ? "null" : "{\"audio\":\"" + provenance + "a\",\"frames\":\"" + provenance + "f\"}";
        String value = "{\"kind\":\"" + kind + "\",\"feature\":\"example/crop\",\"feature_version\":\"34d75856\","
                + "\"ids\":{\"sample_uid\":" + id + "},\"metaxy_provenance_by_field\":" + byField + ","
                + "\"metaxy_provenance\":" + (provenance == null ? "null" : "\"" + provenance + "\"")
                + ",\"recorded_metaxy_provenance\":null,\"upstream\":{\"path\":\"v" + id + ".mp4\"},\"members\":{},"
                + "\"cause\":{\"topic\":\"metaxy.example__video\",\"partition\":0,\"offset\":0}}";
        consumer.addRecord(new ConsumerRecord<>(INCREMENTS.topic(), 0, offset++,
                ("{\"sample_uid\":" + id + "}").getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)));
    }

    JsonNode written(int i) throws Exception {
        byte[] value = producer.history().get(i).value();
        return value == null ? null : IncrementWorker.JSON.readTree(value);
    }

    @Test
    void answersTheLatestEventPerSampleEchoingProvenanceAndVersionAndCommitsAfterTheWrites() throws Exception {
        event(1, "new", "p1");
        event(2, "new", "p2");
        event(1, "stale", "p3"); // supersedes 1's new
        assertThat(worker.pollOnce()).isEqualTo(3);
        assertThat(computed).containsExactly("2:new:p2", "1:stale:p3");
        assertThat(producer.history()).extracting(ProducerRecord::topic).containsOnly("metaxy.example__crop");
        JsonNode row = written(1);
        assertThat(row.get("sample_uid").asInt()).isEqualTo(1);
        assertThat(row.get("crop_path").asText()).isEqualTo("v1.mp4.crop");
        assertThat(row.get("metaxy_provenance_by_field").toString()).isEqualTo("{\"audio\":\"p3a\",\"frames\":\"p3f\"}");
        assertThat(row.get("metaxy_feature_version").asText()).isEqualTo("34d75856");
        assertThat(row.get("metaxy_data_version_by_field").get("audio").asText()).isEqualTo("d");
        assertThat(new String(producer.history().get(1).key(), StandardCharsets.UTF_8)).isEqualTo("{\"sample_uid\":1}");
        assertThat(consumer.committed(java.util.Set.of(INCREMENTS)))
                .containsEntry(INCREMENTS, new OffsetAndMetadata(3));
    }

    @Test
    void aRetractionCancelsAndAnOrphanIsATombstone() throws Exception {
        event(1, "new", "p1");
        event(1, "retracted", null);
        event(2, "orphaned", null);
        worker.pollOnce();
        assertThat(computed).isEmpty();
        assertThat(producer.history()).hasSize(1);
        assertThat(producer.history().get(0).value()).isNull();
        assertThat(new String(producer.history().get(0).key(), StandardCharsets.UTF_8)).isEqualTo("{\"sample_uid\":2}");
        assertThat(worker.stats().skipped.get()).isEqualTo(1);
    }

    @Test
    void anExactRepeatIsSkippedButTheSameWorkAfterARetractionIsDone() {
        event(1, "new", "p1");
        worker.pollOnce();
        event(1, "new", "p1"); // redelivered
        worker.pollOnce();
        assertThat(computed).containsExactly("1:new:p1");
        event(1, "retracted", null);
        event(1, "new", "p1");
        worker.pollOnce();
        assertThat(computed).containsExactly("1:new:p1", "1:new:p1");
    }

    @Test
    void aFailingHandlerCommitsNothing() {
        IncrementWorker failing = IncrementWorker.builder("unused:9092", "example/crop")
                .handler(inc -> {
                    throw new java.io.IOException("model down");
                }).build(consumer, producer);
        event(1, "new", "p1");
        assertThatThrownBy(failing::pollOnce).hasMessageContaining("handler failed").hasRootCauseMessage("model down");
        assertThat(consumer.committed(java.util.Set.of(INCREMENTS))).isEmpty();
    }
}
