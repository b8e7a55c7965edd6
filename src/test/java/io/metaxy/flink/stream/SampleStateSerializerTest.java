package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.stream.operator.SampleState;
import io.metaxy.flink.stream.operator.SampleStateSerializer;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class SampleStateSerializerTest {
    static byte[] bytes(SampleState s) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        SampleStateSerializer.INSTANCE.serialize(s, out);
        return out.getCopyOfBuffer();
    }

    static SampleState roundTrip(SampleState s) throws Exception {
        return SampleStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(bytes(s)));
    }

    @Test
    void roundTripsEveryPart() throws Exception {
        SampleState s = new SampleState(3);
        s.parents[0] = new SampleState.Parent("c2ac395f", new String[] {"12345678", "87654321"},
                "{\"path\":\"é.mp4\"}".getBytes(StandardCharsets.UTF_8));
        s.parents[2] = new SampleState.Parent("34d75856", new String[] {"1"}, null);
        s.ownFeatureVersion = "f1526ee0";
        s.ownProvenance = "99999999";
        s.announcedKind = SampleState.STALE;
        s.announcedProvenance = "11111111";
        assertThat(roundTrip(s)).isEqualTo(s);
        SampleState orphan = new SampleState(1);
        orphan.ownFeatureVersion = "f1526ee0";
        orphan.ownProvenance = "99999999";
        orphan.announcedKind = SampleState.ORPHANED;
        assertThat(roundTrip(orphan)).isEqualTo(orphan);
    }

    @Test
    void aOneToOneSampleStaysWithinSixtyFourBytesPerParent() throws Exception {
        SampleState s = new SampleState(1);
        s.parents[0] = new SampleState.Parent("c2ac395f", new String[] {"12345678", "87654321"}, null);
        s.ownFeatureVersion = "34d75856";
        s.ownProvenance = "24503967";
        s.announcedKind = SampleState.NEW;
        s.announcedProvenance = "24503967";
        assertThat(bytes(s)).hasSize(61);
    }
}
