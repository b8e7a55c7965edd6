package io.metaxy.flink.stream.operator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.store.SystemColumns;
import io.metaxy.flink.stream.IncrementRecord;
import io.metaxy.flink.stream.RoutedEvent;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Keeps per (feature, sample) the parents' current rows, the feature's recorded row and the
 * outstanding announcement, and emits increment events the moment what batch
 * {@code resolveUpdate} would say for the sample changes (design §4–5):
 *
 * <ul>
 *   <li>{@code new}: every required parent has a row of its current feature version and the
 *       feature has no row of its current version; {@code stale}: it has one with another
 *       provenance; {@code orphaned}: it has one but a required parent (or every parent) is gone.</li>
 *   <li>Each distinct (kind, expected provenance) is announced once. A write of the feature that
 *       satisfies the announcement (its provenance, or a delete for an orphan) clears it silently;
 *       any other way of it ceasing to hold emits {@code retracted}.</li>
 *   <li>On start from a checkpoint or savepoint taken under another graph version, every key is
 *       re-evaluated, so changed definitions converge without new input.</li>
 * </ul>
 *
 * Event value, e.g.:
 * <pre>{@code
 * {"kind":"new","feature":"example/crop","feature_version":"34d75856","ids":{"sample_uid":1},
 *  "metaxy_provenance_by_field":{"audio":"…","frames":"…"},"metaxy_provenance":"…",
 *  "recorded_metaxy_provenance":null,"upstream":{"path":"a.mp4"},
 *  "cause":{"topic":"metaxy.example__video","partition":0,"offset":7}}
 * }</pre>
 */
public final class IncrementOperator extends AbstractStreamOperator<IncrementRecord>
        implements OneInputStreamOperator<RoutedEvent, IncrementRecord> {
    private static final long serialVersionUID = 1L;
    public static final String UID = "metaxy-increments";
    public static final String SAMPLE_STATE_NAME = "metaxy-sample";
    public static final ValueStateDescriptor<SampleState> SAMPLE_STATE =
            new ValueStateDescriptor<>(SAMPLE_STATE_NAME, SampleStateSerializer.INSTANCE);
    /**
     * Rows under a key beyond the one sample: N:1 group members ("<dep index>:<member ids>" → the
     * member's feature version and data versions) and a 1:N feature's own children
     * ("own:<child ids>" → feature version and [provenance]).
     */
    public static final MapStateDescriptor<String, SampleState.Parent> MEMBERS_STATE =
            new MapStateDescriptor<>("metaxy-members", StringSerializer.INSTANCE, ParentSerializer.INSTANCE);
    public static final ListStateDescriptor<String> GRAPH_VERSION_STATE =
            new ListStateDescriptor<>("metaxy-graph-version", Types.STRING);
    public static final ListStateDescriptor<Long> OUTSTANDING_STATE =
            new ListStateDescriptor<>("metaxy-outstanding", Types.LONG);
    private static final ObjectMapper IDS = new ObjectMapper();
    private static final String OWN_CHILD = "own:";

    private final StreamPlan plan;
    private transient ValueState<SampleState> samples;
    private transient MapState<String, SampleState.Parent> members;
    private transient ListState<String> graphVersionState;
    private transient ListState<Long> outstandingState;
    private transient boolean reevaluate;
    private transient long outstanding;
    private transient Map<String, Counter> emitted;
    private transient StreamRecord<IncrementRecord> reuse;

    public IncrementOperator(StreamPlan plan) {
        this.plan = plan;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        graphVersionState = context.getOperatorStateStore().getUnionListState(GRAPH_VERSION_STATE);
        outstandingState = context.getOperatorStateStore().getListState(OUTSTANDING_STATE);
        if (context.isRestored()) {
            for (String version : graphVersionState.get()) {
                reevaluate |= !version.equals(plan.graphVersion());
            }
            for (Long n : outstandingState.get()) {
                outstanding += n;
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        samples = getRuntimeContext().getState(SAMPLE_STATE);
        members = getRuntimeContext().getMapState(MEMBERS_STATE);
        emitted = new HashMap<>();
        reuse = new StreamRecord<>(null);
        getMetricGroup().gauge("metaxyOutstandingIncrements", () -> outstanding);
        if (reevaluate) {
            reevaluateAllKeys();
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        graphVersionState.update(List.of(plan.graphVersion()));
        outstandingState.update(List.of(outstanding));
    }

    @Override
    public void processElement(StreamRecord<RoutedEvent> record) throws Exception {
        RoutedEvent e = record.getValue();
        StreamPlan.Feature feature = plan.feature(e.target);
        SampleState s = samples.value();
        if (s == null) {
            s = new SampleState(feature.deps.size());
        }
        if (e.depIndex == RoutedEvent.SELF && feature.expansion) {
            String child = OWN_CHILD + e.memberIdsJson;
            if (e.op.isDelete()) {
                members.remove(child);
            } else {
                members.put(child, new SampleState.Parent(e.featureVersion, new String[] {e.provenance}, null));
            }
            collapseChildren(feature, s);
        } else if (e.depIndex == RoutedEvent.SELF) {
            if (e.op.isDelete()) {
                s.ownFeatureVersion = null;
                s.ownProvenance = null;
            } else {
                s.ownFeatureVersion = e.featureVersion;
                s.ownProvenance = e.provenance;
            }
        } else if (feature.deps.get(e.depIndex).isAggregation()) {
            String member = e.depIndex + ":" + e.memberIdsJson;
            if (e.op.isDelete()) {
                members.remove(member);
            } else {
                members.put(member, new SampleState.Parent(e.featureVersion, e.dataVersionByField, null));
            }
            s.parents[e.depIndex] = aggregate(feature, e.depIndex);
        } else if (e.op.isDelete()) {
            s.parents[e.depIndex] = null;
        } else {
            s.parents[e.depIndex] = new SampleState.Parent(e.featureVersion, e.dataVersionByField,
                    e.columnsJson == null ? null : e.columnsJson.getBytes(StandardCharsets.UTF_8));
        }
        reconcile(feature, s, e.idsJson, e.depIndex == RoutedEvent.SELF, e.topic, e.partition, e.offset);
        store(s);
    }

    /**
     * The group's row as its child sees it (design §3): per parent field, the current members'
     * data versions ordered by the members' id columns, joined with "|" and hashed. Null when
     * no member of the parent's current feature version is left.
     */
    private SampleState.Parent aggregate(StreamPlan.Feature f, int depIndex) throws Exception {
        StreamPlan.Dep dep = f.deps.get(depIndex);
        String prefix = depIndex + ":";
        List<Map.Entry<List<Object>, String[]>> current = new ArrayList<>();
        for (Map.Entry<String, SampleState.Parent> m : members.entries()) {
            if (m.getKey().startsWith(prefix) && m.getValue().featureVersion().equals(dep.parentFeatureVersion)) {
                current.add(Map.entry(idValues(m.getKey().substring(prefix.length()), dep.parentIdColumns),
                        m.getValue().dataVersions()));
            }
        }
        if (current.isEmpty()) {
            return null;
        }
        current.sort(Map.Entry.comparingByKey(MEMBER_ORDER));
        int fields = current.get(0).getValue().length;
        String[] aggregated = new String[fields];
        for (int j = 0; j < fields; j++) {
            List<String> versions = new ArrayList<>(current.size());
            for (Map.Entry<List<Object>, String[]> m : current) {
                versions.add(m.getValue()[j]);
            }
            aggregated[j] = ProvenanceCalculator.aggregate(f.calculator.hasher(), versions);
        }
        return new SampleState.Parent(dep.parentFeatureVersion, aggregated, null);
    }

    /**
     * A 1:N feature's children collapse to one recorded row per parent, as in
     * {@code resolveUpdate}: present when any child of the current feature version is, with their
     * common provenance — or "min..max" when they differ, which matches no expectation (stale).
     */
    private void collapseChildren(StreamPlan.Feature f, SampleState s) throws Exception {
        String min = null;
        String max = null;
        for (Map.Entry<String, SampleState.Parent> m : members.entries()) {
            if (m.getKey().startsWith(OWN_CHILD) && m.getValue().featureVersion().equals(f.featureVersion)) {
                String p = m.getValue().dataVersions()[0];
                min = min == null || p.compareTo(min) < 0 ? p : min;
                max = max == null || p.compareTo(max) > 0 ? p : max;
            }
        }
        s.ownFeatureVersion = min == null ? null : f.featureVersion;
        s.ownProvenance = min == null ? null : min.equals(max) ? min : min + ".." + max;
    }

    private static final Comparator<List<Object>> MEMBER_ORDER = (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = ProvenanceCalculator.ID_VALUE_ORDER.compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    };

    private static List<Object> idValues(String idsJson, List<String> columns) throws IOException {
        JsonNode ids = IDS.readTree(idsJson);
        List<Object> values = new ArrayList<>(columns.size());
        for (String column : columns) {
            JsonNode v = ids.get(column);
            values.add(v == null ? "" : v.isNumber() ? v.numberValue() : v.asText());
        }
        return values;
    }

    private void store(SampleState s) throws IOException {
        if (s.isEmpty()) {
            samples.clear();
        } else {
            samples.update(s);
        }
    }

    /** Converges one sample to what the current definitions say, emitting what changed. */
    private void reconcile(StreamPlan.Feature f, SampleState s, String idsJson, boolean selfWrite,
            String topic, int partition, long offset) {
        boolean ownCurrent = s.ownFeatureVersion != null && s.ownFeatureVersion.equals(f.featureVersion);
        String[][] dataVersions = new String[f.deps.size()][];
        boolean anyParent = false;
        boolean complete = true;
        for (int d = 0; d < dataVersions.length; d++) {
            SampleState.Parent p = s.parents[d];
            StreamPlan.Dep dep = f.deps.get(d);
            if (p != null && p.featureVersion().equals(dep.parentFeatureVersion)) {
                dataVersions[d] = p.dataVersions();
                anyParent = true;
            } else if (!dep.optional) {
                complete = false;
            }
        }
        byte kind = SampleState.NONE;
        String[] expectedByField = null;
        String expected = null;
        if (complete && anyParent) {
            ProvenanceCalculator calc = f.calculator;
            expectedByField = calc.provenanceByField(f.parentSlotValues(dataVersions));
            expected = calc.provenance(expectedByField);
            if (!ownCurrent) {
                kind = SampleState.NEW;
            } else if (!expected.equals(s.ownProvenance)) {
                kind = SampleState.STALE;
            }
        } else if (ownCurrent) {
            kind = SampleState.ORPHANED;
        }

        if (kind == SampleState.NONE) {
            if (s.announcedKind != SampleState.NONE) {
                boolean answered = selfWrite && (s.announcedKind == SampleState.ORPHANED
                        ? !ownCurrent
                        : ownCurrent && s.announcedProvenance.equals(s.ownProvenance));
                if (!answered) {
                    emit(f, "retracted", idsJson, null, s.announcedProvenance, s.ownProvenance,
                            SampleState.kindName(s.announcedKind), s, dataVersions, topic, partition, offset);
                }
                s.announcedKind = SampleState.NONE;
                s.announcedProvenance = null;
                outstanding--;
            }
            return;
        }
        String announcedProvenance = kind == SampleState.ORPHANED ? null : expected;
        if (kind == s.announcedKind && java.util.Objects.equals(announcedProvenance, s.announcedProvenance)) {
            return;
        }
        if (s.announcedKind == SampleState.NONE) {
            outstanding++;
        }
        s.announcedKind = kind;
        s.announcedProvenance = announcedProvenance;
        emit(f, SampleState.kindName(kind), idsJson, expectedByField, announcedProvenance, s.ownProvenance, null, s,
                dataVersions, topic, partition, offset);
    }

    private void emit(StreamPlan.Feature f, String kind, String idsJson, String[] expectedByField, String expected,
            String recorded, String retracts, SampleState s, String[][] dataVersions, String topic, int partition,
            long offset) {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator g = IDS.getFactory().createGenerator(text)) {
            g.writeStartObject();
            g.writeStringField("kind", kind);
            g.writeStringField("feature", f.key);
            g.writeStringField("feature_version", f.featureVersion);
            g.writeFieldName("ids");
            g.writeRawValue(idsJson);
            g.writeFieldName(SystemColumns.PROVENANCE_BY_FIELD);
            if (expectedByField == null) {
                g.writeNull();
            } else {
                g.writeStartObject();
                for (int i = 0; i < expectedByField.length; i++) {
                    g.writeStringField(f.fields.get(i), expectedByField[i]);
                }
                g.writeEndObject();
            }
            g.writeStringField(SystemColumns.PROVENANCE, expected);
            g.writeStringField("recorded_" + SystemColumns.PROVENANCE, recorded);
            if (retracts != null) {
                g.writeStringField("retracts", retracts);
            }
            g.writeFieldName("upstream");
            g.writeTree(upstreamColumns(f, s, dataVersions));
            g.writeObjectFieldStart("cause");
            if (topic == null) {
                g.writeStringField("redeploy", plan.graphVersion());
            } else {
                g.writeStringField("topic", topic);
                g.writeNumberField("partition", partition);
                g.writeNumberField("offset", offset);
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        emitted.computeIfAbsent(f.key + '\u0000' + kind, k -> getMetricGroup().addGroup("feature", f.key)
                .addGroup("kind", kind).counter("metaxyIncrementsEmitted")).inc();
        output.collect(reuse.replace(new IncrementRecord(f.incrementsTopic, f.key, kind, idsJson, text.toString())));
    }

    /**
     * The parents' selected user columns, flat as {@code resolveUpdate} gives them: each dep's
     * select after its rename, the first dep in spec order winning a name; N:1 deps carry none.
     */
    private static ObjectNode upstreamColumns(StreamPlan.Feature f, SampleState s, String[][] dataVersions)
            throws IOException {
        ObjectNode out = IDS.createObjectNode();
        for (int d = 0; d < f.deps.size(); d++) {
            SampleState.Parent p = s.parents[d];
            if (dataVersions[d] != null && p.columns() != null) {
                IDS.readTree(p.columns()).fields().forEachRemaining(e -> {
                    if (!out.has(e.getKey())) {
                        out.set(e.getKey(), e.getValue());
                    }
                });
            }
        }
        return out;
    }

    private void reevaluateAllKeys() throws Exception {
        List<Object> keys;
        try (Stream<Object> stream = getKeyedStateBackend().getKeys(SAMPLE_STATE_NAME, VoidNamespace.INSTANCE)) {
            // Collected first: updating state while iterating RocksDB keys is not allowed.
            keys = stream.collect(Collectors.toCollection(ArrayList::new));
        }
        for (Object key : keys) {
            setCurrentKey(key);
            SampleState s = samples.value();
            if (s == null) {
                continue;
            }
            String k = (String) key;
            int cut = k.indexOf('\u0000');
            StreamPlan.Feature f = plan.featureOrNull(k.substring(0, cut));
            if (f == null || f.deps.size() != s.parents.length) {
                // The feature left the graph (or its deps changed shape): its state means nothing now.
                samples.clear();
                members.clear();
                continue;
            }
            for (int d = 0; d < f.deps.size(); d++) {
                if (f.deps.get(d).isAggregation()) {
                    s.parents[d] = aggregate(f, d);
                }
            }
            if (f.expansion) {
                collapseChildren(f, s);
            }
            reconcile(f, s, k.substring(cut + 1), false, null, -1, -1);
            store(s);
        }
    }
}
