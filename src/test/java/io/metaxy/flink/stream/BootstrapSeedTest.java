package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.stream.HarnessDriver.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bootstrap seeds in the keyed operators (RocksDB harness): silent, never overwriting a row
 * from Kafka, one evaluation when the seed source ends, and the pending seed across restarts.
 */
class BootstrapSeedTest {
    static final String VIDEO = "example/video";
    static final String CROP = "example/crop";
    static final String STT = "example/stt";
    static final String FACES = "example/face_detection";
    static final String SEED = "metaxy-seed-test";

    HarnessDriver ref;
    HarnessDriver d;

    @AfterEach
    void close() throws Exception {
        if (ref != null) {
            ref.close();
        }
        if (d != null) {
            d.close();
        }
    }

    static StreamPlan overview() {
        return StreamPlan.of(HarnessDriver.overview(1));
    }

    static Map<String, String> video(String audio, String frames) {
        return Map.of("audio", audio, "frames", frames);
    }

    /** Sample 1 current everywhere, 2 stale for crop and stt, 3 new: built through Kafka. */
    static HarnessDriver history() throws Exception {
        HarnessDriver h = new HarnessDriver(overview(), true);
        for (int id = 1; id <= 3; id++) {
            h.write(VIDEO, id, video("a" + id, "f" + id), Map.of("path", "v" + id + ".mp4"));
        }
        h.answer(CROP, 1);
        h.answer(STT, 1);
        h.answer(FACES, 1);
        h.answer(CROP, 2);
        h.answer(STT, 2);
        h.write(VIDEO, 2, video("a2-new", "f2-new"), Map.of("path", "v2.mp4"));
        return h;
    }

    /** Seeds what the store holds after {@code writes}: each feature's current rows. */
    static void seedStore(HarnessDriver into, Iterable<StampedRow> writes) throws Exception {
        for (Map.Entry<String, Map<String, StampedRow>> f : BatchOracle.currentRows(into.plan, writes).entrySet()) {
            for (StampedRow row : f.getValue().values()) {
                Map<String, String> byField = new LinkedHashMap<>();
                List<String> fields = into.plan.feature(f.getKey()).fields;
                for (int i = 0; i < fields.size(); i++) {
                    byField.put(fields.get(i), row.provenanceByField[i]);
                }
                Map<String, Object> columns = new LinkedHashMap<>(row.columns());
                assertThat(into.seed(f.getKey(), row.idsJson(), byField, columns)).as("a seed is silent").isEmpty();
            }
        }
    }

    @Test
    void seedsAreSilentAndTheirEndAnnouncesExactlyWhatBatchSays() throws Exception {
        ref = history();
        d = new HarnessDriver(overview(), true, null, null, SEED);
        seedStore(d, ref.writes);
        assertThat(d.events).isEmpty();
        List<Event> announced = d.endSeeds();
        assertThat(d.outstanding()).isEqualTo(ref.outstanding()).isEqualTo(BatchOracle.resolveAll(d.plan, d.writes));
        // crop 2, stt 2 stale; crop 3, stt 3, face_detection 2 new: each once, nothing taken back.
        assertThat(announced).hasSize(5).extracting(Event::kind).doesNotContain("retracted");
        assertThat(announced).extracting(e -> e.json().get("cause").get("bootstrap").asText()).containsOnly(SEED);
        assertThat(d.latest(CROP, HarnessDriver.ids(2)).kind()).isEqualTo("stale");

        // Then it follows Kafka as any job does.
        assertThat(d.answer(CROP, 3)).extracting(Event::feature, Event::kind).containsExactly(
                org.assertj.core.groups.Tuple.tuple(FACES, "new"));
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(d.plan, d.writes));
    }

    @Test
    void theSeedFlagCrossesTheNetwork() throws Exception {
        RoutedEvent e = new RoutedEvent();
        e.target = CROP;
        e.idsJson = HarnessDriver.ids(1);
        e.op = RowOp.UPSERT;
        e.source = VIDEO;
        e.seed = true;
        var out = new org.apache.flink.core.memory.DataOutputSerializer(64);
        RoutedEvent.Serializer.INSTANCE.serialize(e, out);
        RoutedEvent back = RoutedEvent.Serializer.INSTANCE.deserialize(
                new org.apache.flink.core.memory.DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back.seed).isTrue();
        assertThat(back.copy().seed).isTrue();
        e.seed = false;
        out.clear();
        RoutedEvent.Serializer.INSTANCE.serialize(e, out);
        assertThat(RoutedEvent.Serializer.INSTANCE.deserialize(
                new org.apache.flink.core.memory.DataInputDeserializer(out.getCopyOfBuffer())).seed).isFalse();
    }

    @Test
    void aKafkaRowWinsOverTheStoresWhicheverArrivesFirst() throws Exception {
        ref = new HarnessDriver(overview(), true);
        ref.write(VIDEO, 1, video("kafka", "kafka"), Map.of("path", "k1.mp4"));
        ref.write(VIDEO, 2, video("kafka", "kafka"), Map.of("path", "k2.mp4"));
        d = new HarnessDriver(overview(), true, null, null, SEED);
        // Kafka before the seed: the seed finds the slot filled. Seed before Kafka: Kafka overwrites.
        assertThat(d.write(VIDEO, 1, video("kafka", "kafka"), Map.of("path", "k1.mp4")))
                .as("nothing is evaluated while seeds arrive").isEmpty();
        d.seed(VIDEO, 1, video("store", "store"), Map.of("path", "s1.mp4"));
        d.seed(VIDEO, 2, video("store", "store"), Map.of("path", "s2.mp4"));
        d.write(VIDEO, 2, video("kafka", "kafka"), Map.of("path", "k2.mp4"));
        d.endSeeds();
        assertThat(d.outstanding()).isEqualTo(ref.outstanding());
        assertThat(d.latest(CROP, HarnessDriver.ids(1)).json().get("upstream").get("path").asText()).isEqualTo("k1.mp4");
    }

    @Test
    void aGroupMemberFromKafkaWinsOverTheStoresGroup() throws Exception {
        StreamPlan plan = StreamPlan.of(GraphReader.read(Path.of("examples/aggregation.yaml")));
        d = new HarnessDriver(plan, true, null, null, SEED);
        Map<String, String> v1 = Map.of("default", "v1");
        d.write("audio", "{\"audio_id\":\"a1\",\"speaker_id\":\"s1\"}", v1, Map.of("path", "a1.wav"));
        // The store's older row put a1 with speaker s2: the Kafka row's group stands.
        d.seed("audio", "{\"audio_id\":\"a1\",\"speaker_id\":\"s2\"}", v1, Map.of("path", "old.wav"));
        d.seed("audio", "{\"audio_id\":\"a2\",\"speaker_id\":\"s2\"}", v1, Map.of("path", "a2.wav"));
        d.endSeeds();
        Event s1 = d.latest("speaker/embedding", "{\"speaker_id\":\"s1\"}");
        Event s2 = d.latest("speaker/embedding", "{\"speaker_id\":\"s2\"}");
        assertThat(s1.json().get("members").get("audio")).extracting(m -> m.get("audio_id").asText()).containsExactly("a1");
        assertThat(s2.json().get("members").get("audio")).extracting(m -> m.get("audio_id").asText()).containsExactly("a2");
        assertThat(d.outstanding()).hasSize(2);
    }

    @Test
    void aPendingSeedSurvivesARestartAndADoneOneIsNotRepeated() throws Exception {
        ref = history();
        d = new HarnessDriver(overview(), true, null, null, SEED);
        List<StampedRow> store = new ArrayList<>(ref.writes);
        seedStore(d, store);
        d = d.restart(overview(), SEED);
        assertThat(((io.metaxy.flink.stream.operator.IncrementOperator) d.harness.getOperator()).seedPending()).isTrue();
        d.endSeeds();
        assertThat(d.outstanding()).isEqualTo(ref.outstanding());
        int announced = d.events.size();

        // Resumed with the same seed id: the finished seed source's MAX starts nothing.
        d = d.restart(overview(), SEED);
        assertThat(((io.metaxy.flink.stream.operator.IncrementOperator) d.harness.getOperator()).seedPending()).isFalse();
        assertThat(d.endSeeds()).isEmpty();
        // A new seed id (a redeploy that adds a dep would have one) seeds again: nothing changes.
        d = d.restart(overview(), SEED + "-2");
        seedStore(d, store);
        assertThat(d.endSeeds()).isEmpty();
        assertThat(d.events).hasSize(announced);
        assertThat(d.outstanding()).isEqualTo(ref.outstanding());
    }
}
