package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaxy.flink.stream.operator.SampleState;
import io.metaxy.flink.stream.operator.SampleStateSerializer;
import io.metaxy.flink.stream.operator.VersionedRowsSerializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
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

    static SampleState.Parent[] rows(SampleState.Parent... rows) {
        return rows;
    }

    @Test
    void roundTripsEveryPart() throws Exception {
        SampleState s = new SampleState(3);
        s.parents[0] = rows(new SampleState.Parent("c2ac395f", new String[] {"12345678", "87654321"},
                "{\"path\":\"é.mp4\"}".getBytes(StandardCharsets.UTF_8)), new SampleState.Parent("0000aaaa",
                new String[] {"1", "2"}, null));
        s.parents[2] = rows(new SampleState.Parent("34d75856", new String[] {"1"}, null));
        s.own = rows(SampleState.ownRow("f1526ee0", "99999999"), SampleState.ownRow("0badf00d", "12121212"));
        s.announcedKind = SampleState.STALE;
        s.announcedProvenance = "11111111";
        assertThat(roundTrip(s)).isEqualTo(s);
        SampleState orphan = new SampleState(1);
        orphan.own = rows(SampleState.ownRow("f1526ee0", "99999999"));
        orphan.announcedKind = SampleState.ORPHANED;
        assertThat(roundTrip(orphan)).isEqualTo(orphan);
    }

    @Property(tries = 200)
    void roundTripsAnyState(@ForAll("states") SampleState s) throws Exception {
        assertThat(roundTrip(s)).isEqualTo(s);
        DataOutputSerializer out = new DataOutputSerializer(64);
        VersionedRowsSerializer.INSTANCE.serialize(s.own, out);
        SampleState.Parent[] back = VersionedRowsSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back).isEqualTo(s.own == null ? new SampleState.Parent[0] : s.own);
    }

    @Provide
    Arbitrary<SampleState> states() {
        Arbitrary<String> text = Arbitraries.strings().ofMinLength(0).ofMaxLength(200);
        Arbitrary<SampleState.Parent> row = Combinators.combine(text, text.array(String[].class).ofMaxSize(300),
                text.injectNull(0.5)).as((fv, dv, columns) -> new SampleState.Parent(fv, dv,
                columns == null ? null : columns.getBytes(StandardCharsets.UTF_8)));
        Arbitrary<SampleState.Parent[]> slot = row.array(SampleState.Parent[].class).ofMinSize(1).ofMaxSize(2).injectNull(0.3);
        Arbitrary<Byte> kind = Arbitraries.of(SampleState.NONE, SampleState.NEW, SampleState.STALE, SampleState.ORPHANED);
        return Combinators.combine(slot.list().ofMaxSize(300), slot, kind, text).as((parents, own, k, announced) -> {
            SampleState s = new SampleState(parents.size());
            for (int i = 0; i < parents.size(); i++) {
                s.parents[i] = parents.get(i);
            }
            if (own != null) {
                List<SampleState.Parent> ownRows = new ArrayList<>();
                for (SampleState.Parent p : own) {
                    ownRows.add(SampleState.ownRow(p.featureVersion(), p.dataVersions().length == 0 ? "" : p.dataVersions()[0]));
                }
                s.own = ownRows.toArray(new SampleState.Parent[0]);
            }
            s.announcedKind = k;
            s.announcedProvenance = k == SampleState.NEW || k == SampleState.STALE ? announced : null;
            return s;
        });
    }

    @Test
    void moreThanTwoVersionsInASlotIsRefused() {
        SampleState s = new SampleState(1);
        s.parents[0] = rows(new SampleState.Parent("a", new String[0], null), new SampleState.Parent("b", new String[0], null),
                new SampleState.Parent("c", new String[0], null));
        assertThatThrownBy(() -> bytes(s)).isInstanceOf(IOException.class).hasMessageContaining("at most 2");
    }

    @Test
    void aOneToOneSampleStaysWithinSixtyFourBytesPerParent() throws Exception {
        SampleState s = new SampleState(1);
        s.parents[0] = rows(new SampleState.Parent("c2ac395f", new String[] {"12345678", "87654321"}, null));
        s.own = rows(SampleState.ownRow("34d75856", "24503967"));
        s.announcedKind = SampleState.NEW;
        s.announcedProvenance = "24503967";
        assertThat(bytes(s)).hasSize(61);
    }
}
