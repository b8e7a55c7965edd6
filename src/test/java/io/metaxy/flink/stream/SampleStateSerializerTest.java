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
import io.metaxy.flink.stream.operator.ChildSummary;
import io.metaxy.flink.stream.operator.MemberGroup;
import io.metaxy.flink.versioning.IncrementRules;

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
        SampleState.Parent[] slot = s.parents.length == 0 ? null : s.parents[0];
        assertThat(roundTrip(VersionedRowsSerializer.INSTANCE, slot)).isEqualTo(slot == null ? new SampleState.Parent[0] : slot);
    }

    static <T> T roundTrip(org.apache.flink.api.common.typeutils.TypeSerializer<T> serializer, T value) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(value, out);
        return serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    @Property(tries = 100)
    void memberGroupsRoundTripAndStaySortedByIdValues(@ForAll("memberIds") List<Object> ids) throws Exception {
        MemberGroup g = MemberGroup.EMPTY;
        for (Object id : ids) {
            g = g.with("{\"id\":" + id + "}", new Object[] {id}, rows(new SampleState.Parent("v1", new String[] {"d" + id}, null)));
        }
        MemberGroup back = roundTrip(MemberGroup.Serializer.INSTANCE, g);
        assertThat(back.members()).extracting(MemberGroup.Member::idsJson)
                .containsExactlyElementsOf(g.members().stream().map(MemberGroup.Member::idsJson).toList());
        List<Object> sorted = new ArrayList<>(new java.util.LinkedHashSet<>(ids));
        sorted.sort(io.metaxy.flink.versioning.IdValueOrder.INSTANCE);
        assertThat(back.members()).extracting(m -> m.order()[0]).containsExactlyElementsOf(sorted);
        for (Object id : sorted) {
            g = g.with(null, new Object[] {id}, null);
        }
        assertThat(g.isEmpty()).isTrue();
    }

    @Provide
    Arbitrary<List<Object>> memberIds() {
        Arbitrary<Object> longs = Arbitraries.longs().between(-1000, 1000).map(l -> (Object) l);
        Arbitrary<Object> texts = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(4).map(t -> (Object) ("\"" + t + "\""));
        return Arbitraries.oneOf(longs.list().ofMaxSize(30), texts.list().ofMaxSize(30));
    }

    @Property(tries = 100)
    void childSummariesCountAndCollapse(@ForAll("provenances") List<String> provenances) throws Exception {
        ChildSummary summary = new ChildSummary();
        provenances.forEach(p -> summary.add("v1", p, 1));
        ChildSummary back = roundTrip(ChildSummary.Serializer.INSTANCE, summary);
        assertThat(back.recorded("v1")).isEqualTo(IncrementRules.collapse(provenances));
        provenances.forEach(p -> back.add("v1", p, -1));
        assertThat(back.isEmpty()).isTrue();
        assertThat(back.recorded("v1").present()).isFalse();
    }

    @Provide
    Arbitrary<List<String>> provenances() {
        return Arbitraries.strings().numeric().ofLength(8).list().ofMaxSize(20);
    }

    @Test
    void keysAndRoutedEventsRoundTrip() throws Exception {
        SampleKey key = new SampleKey("video/chunk", "{\"video_id\":\"é1\"}");
        assertThat(roundTrip(SampleKey.Serializer.INSTANCE, key)).isEqualTo(key);
        RoutedEvent e = new RoutedEvent();
        e.target = "speaker/embedding";
        e.idsJson = null;
        e.depIndex = 0;
        e.op = RowOp.HARD_DELETE;
        e.source = "audio";
        e.dataVersionByField = new String[] {"a", "b"};
        e.memberIdsJson = "{\"audio_id\":\"a1\"}";
        e.member = true;
        e.topic = "metaxy.audio";
        e.partition = 1;
        e.offset = 42;
        RoutedEvent back = roundTrip(RoutedEvent.Serializer.INSTANCE, e);
        assertThat(back).usingRecursiveComparison().isEqualTo(e);
    }

    @Provide
    Arbitrary<SampleState> states() {
        Arbitrary<String> text = Arbitraries.strings().ofMinLength(0).ofMaxLength(200);
        Arbitrary<SampleState.Parent> row = Combinators.combine(text, text.array(String[].class).ofMaxSize(300),
                text.injectNull(0.5)).as((fv, dv, columns) -> new SampleState.Parent(fv, dv,
                columns == null ? null : columns.getBytes(StandardCharsets.UTF_8)));
        Arbitrary<SampleState.Parent[]> slot = row.array(SampleState.Parent[].class).ofMinSize(1).ofMaxSize(2).injectNull(0.3);
        Arbitrary<Byte> kind = Arbitraries.of(SampleState.NONE, SampleState.NEW, SampleState.STALE, SampleState.ORPHANED);
        return Combinators.combine(slot.list().ofMaxSize(300), slot, kind, text, Arbitraries.integers().between(0, 1 << 20),
                Arbitraries.bytes(), Arbitraries.of(false, true)).as((parents, own, k, announced, groupRows, epoch, collapsed) -> {
            SampleState s = new SampleState(parents.size());
            for (int i = 0; i < parents.size(); i++) {
                s.parents[i] = parents.get(i);
            }
            if (own != null) {
                List<SampleState.Parent> ownRows = new ArrayList<>();
                for (SampleState.Parent p : own) {
                    String first = p.dataVersions().length == 0 ? "" : p.dataVersions()[0];
                    ownRows.add(collapsed ? SampleState.collapsedRow(p.featureVersion(), new IncrementRules.Recorded(first, first + "~", false))
                            : SampleState.ownRow(p.featureVersion(), first));
                }
                s.own = ownRows.toArray(new SampleState.Parent[0]);
            }
            s.announcedKind = k;
            s.announcedProvenance = k == SampleState.NEW || k == SampleState.STALE ? announced : null;
            s.groupRows = groupRows;
            s.epoch = epoch;
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
        assertThat(bytes(s)).hasSize(64);
    }
}
