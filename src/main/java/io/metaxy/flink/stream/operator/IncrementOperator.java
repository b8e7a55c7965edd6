package io.metaxy.flink.stream.operator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.definitions.FeatureKey;
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
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps per (feature, sample) the parents' rows, the feature's recorded rows (each the latest of
 * at most two feature versions, {@link VersionedRows}) and the outstanding announcement, and
 * emits increment events the moment what batch {@code resolveUpdate} would say for the sample
 * changes (design §4–5):
 *
 * <ul>
 *   <li>{@code new}: every required parent has a row of its current feature version and the
 *       feature has no row of its current version; {@code stale}: it has one with another
 *       provenance; {@code orphaned}: it has one but a required parent (or every parent) is gone.</li>
 *   <li>Each distinct (kind, expected provenance) is announced once. A write of the feature that
 *       satisfies the announcement (its provenance, or a delete for an orphan) clears it silently;
 *       any other way of it ceasing to hold emits {@code retracted}.</li>
 *   <li>On start from a checkpoint or savepoint taken under other definitions, every key is
 *       re-evaluated, so changed definitions converge without new input: rows of the version
 *       that is current now count (also rows written under it before the redeploy), and parent
 *       slots follow their parent when deps are removed or reordered ({@link PlanShape}).</li>
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
     * Rows under a key beyond the one sample, as {@link VersionedRows}: N:1 group members
     * ("<dep index>:<member ids>" → the member's rows) and a 1:N feature's own children
     * ("own:<child ids>" → the child's rows, each with its [provenance]).
     */
    public static final String MEMBERS_STATE_NAME = "metaxy-members";
    public static final MapStateDescriptor<String, SampleState.Parent[]> MEMBERS_STATE =
            new MapStateDescriptor<>(MEMBERS_STATE_NAME, StringSerializer.INSTANCE, VersionedRowsSerializer.INSTANCE);
    /**
     * The shape of every feature when the snapshot was taken ({@link PlanShape}): on a restore
     * under changed definitions, parent slots follow their parent when deps are removed or
     * reordered, and keys of a feature whose grain changed are dropped.
     */
    public static final ListStateDescriptor<String> PLAN_SHAPE_STATE =
            new ListStateDescriptor<>("metaxy-plan-shape", Types.STRING);
    public static final ListStateDescriptor<Long> OUTSTANDING_STATE =
            new ListStateDescriptor<>("metaxy-outstanding", Types.LONG);
    /**
     * Increments above this size go out without their {@code upstream} columns (flagged
     * {@code "upstream_omitted": true}): a default broker refuses messages over 1 MiB, and a
     * refused increment would fail the job on every retry. The worker reads them from the store.
     */
    public static final int MAX_INCREMENT_BYTES = 900 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(IncrementOperator.class);
    private static final ObjectMapper IDS = new ObjectMapper();
    private static final String OWN_CHILD = "own:";

    private final StreamPlan plan;
    private transient ValueState<SampleState> samples;
    private transient MapState<String, SampleState.Parent[]> members;
    private transient ListState<String> planShapeState;
    private transient ListState<Long> outstandingState;
    /** The shape the restored state was laid out by; null when nothing changed since it was taken. */
    private transient PlanShape restoredShape;
    private transient long outstanding;
    private transient Map<String, Counter> emitted;
    private transient StreamRecord<IncrementRecord> reuse;

    public IncrementOperator(StreamPlan plan) {
        this.plan = plan;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        planShapeState = context.getOperatorStateStore().getUnionListState(PLAN_SHAPE_STATE);
        outstandingState = context.getOperatorStateStore().getListState(OUTSTANDING_STATE);
        if (context.isRestored()) {
            PlanShape shape = PlanShape.decode(planShapeState.get());
            if (shape.differsFrom(plan)) {
                restoredShape = shape;
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
        if (restoredShape != null) {
            reevaluateAllKeys(restoredShape);
            restoredShape = null;
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        planShapeState.update(PlanShape.encode(plan));
        outstandingState.update(List.of(outstanding));
    }

    /** Announcements this subtask has outstanding (also the {@code metaxyOutstandingIncrements} gauge). */
    public long outstanding() {
        return outstanding;
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
            putMember(child, apply(members.get(child), e, SampleState.ownRow(e.featureVersion, e.provenance),
                    feature.featureVersion));
            collapseChildren(feature, s);
        } else if (e.depIndex == RoutedEvent.SELF) {
            s.own = apply(s.own, e, SampleState.ownRow(e.featureVersion, e.provenance), feature.featureVersion);
        } else if (feature.deps.get(e.depIndex).isAggregation()) {
            String member = e.depIndex + ":" + e.memberIdsJson;
            StreamPlan.Dep dep = feature.deps.get(e.depIndex);
            putMember(member, apply(members.get(member), e,
                    new SampleState.Parent(e.featureVersion, e.dataVersionByField, null), dep.parentFeatureVersion));
            s.parents[e.depIndex] = aggregate(feature, e.depIndex);
        } else {
            StreamPlan.Dep dep = feature.deps.get(e.depIndex);
            s.parents[e.depIndex] = apply(s.parents[e.depIndex], e, new SampleState.Parent(e.featureVersion,
                    e.dataVersionByField, e.columnsJson == null ? null : e.columnsJson.getBytes(StandardCharsets.UTF_8)),
                    dep.parentFeatureVersion);
        }
        reconcile(feature, s, e.idsJson, e.depIndex == RoutedEvent.SELF, false, e.topic, e.partition, e.offset);
        store(s);
    }

    /**
     * A slot's rows after the event: a hard delete removes every version (the store deletes all
     * the sample's rows), a soft delete the row of its version, a write replaces its version's row.
     */
    private static SampleState.Parent[] apply(SampleState.Parent[] rows, RoutedEvent e, SampleState.Parent row,
            String current) {
        return switch (e.op) {
            case HARD_DELETE -> null;
            case SOFT_DELETE -> VersionedRows.remove(rows, e.featureVersion);
            case UPSERT -> VersionedRows.put(rows, row, current);
        };
    }

    private void putMember(String member, SampleState.Parent[] rows) throws Exception {
        if (rows == null) {
            members.remove(member);
        } else {
            members.put(member, rows);
        }
    }

    /**
     * The group's row as its child sees it (design §3): per parent field, the current members'
     * data versions ordered by the members' id columns, joined with "|" and hashed. Null when
     * no member of the parent's current feature version is left.
     */
    private SampleState.Parent[] aggregate(StreamPlan.Feature f, int depIndex) throws Exception {
        StreamPlan.Dep dep = f.deps.get(depIndex);
        String prefix = depIndex + ":";
        List<Map.Entry<List<Object>, String[]>> current = new ArrayList<>();
        for (Map.Entry<String, SampleState.Parent[]> m : members.entries()) {
            SampleState.Parent row = m.getKey().startsWith(prefix)
                    ? VersionedRows.current(m.getValue(), dep.parentFeatureVersion) : null;
            if (row != null) {
                current.add(Map.entry(idValues(m.getKey().substring(prefix.length()), dep.parentIdColumns),
                        row.dataVersions()));
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
        return new SampleState.Parent[] {new SampleState.Parent(dep.parentFeatureVersion, aggregated, null)};
    }

    /**
     * A 1:N feature's children collapse to one recorded row per parent, as in
     * {@code resolveUpdate}: present when any child of the current feature version is, with their
     * common provenance — or "min..max" when they differ, which matches no expectation (stale).
     */
    private void collapseChildren(StreamPlan.Feature f, SampleState s) throws Exception {
        String min = null;
        String max = null;
        for (Map.Entry<String, SampleState.Parent[]> m : members.entries()) {
            SampleState.Parent row = m.getKey().startsWith(OWN_CHILD)
                    ? VersionedRows.current(m.getValue(), f.featureVersion) : null;
            if (row != null) {
                String p = row.dataVersions()[0];
                min = min == null || p.compareTo(min) < 0 ? p : min;
                max = max == null || p.compareTo(max) > 0 ? p : max;
            }
        }
        s.own = min == null ? null
                : new SampleState.Parent[] {SampleState.ownRow(f.featureVersion, min.equals(max) ? min : min + ".." + max)};
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

    /**
     * Converges one sample to what the current definitions say, emitting what changed. With
     * {@code reannounce} (the feature's version changed in a redeploy) an announcement that still
     * holds is made again: it now names the new feature version, whose rows alone answer it.
     */
    private void reconcile(StreamPlan.Feature f, SampleState s, String idsJson, boolean selfWrite, boolean reannounce,
            String topic, int partition, long offset) {
        String ownProvenance = s.ownProvenance(f.featureVersion);
        SampleState.Parent[] parents = new SampleState.Parent[f.deps.size()];
        String[][] dataVersions = new String[f.deps.size()][];
        boolean anyParent = false;
        boolean complete = true;
        for (int d = 0; d < dataVersions.length; d++) {
            StreamPlan.Dep dep = f.deps.get(d);
            parents[d] = VersionedRows.current(s.parents[d], dep.parentFeatureVersion);
            if (parents[d] != null) {
                dataVersions[d] = parents[d].dataVersions();
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
            if (ownProvenance == null) {
                kind = SampleState.NEW;
            } else if (!expected.equals(ownProvenance)) {
                kind = SampleState.STALE;
            }
        } else if (ownProvenance != null) {
            kind = SampleState.ORPHANED;
        }

        if (kind == SampleState.NONE) {
            if (s.announcedKind != SampleState.NONE) {
                boolean answered = selfWrite && (s.announcedKind == SampleState.ORPHANED
                        ? ownProvenance == null
                        : s.announcedProvenance.equals(ownProvenance));
                if (!answered) {
                    emit(f, "retracted", idsJson, null, s.announcedProvenance, ownProvenance,
                            SampleState.kindName(s.announcedKind), parents, topic, partition, offset);
                }
                s.announcedKind = SampleState.NONE;
                s.announcedProvenance = null;
                outstanding--;
            }
            return;
        }
        String announcedProvenance = kind == SampleState.ORPHANED ? null : expected;
        if (kind == s.announcedKind && Objects.equals(announcedProvenance, s.announcedProvenance) && !reannounce) {
            return;
        }
        if (s.announcedKind == SampleState.NONE) {
            outstanding++;
        }
        s.announcedKind = kind;
        s.announcedProvenance = announcedProvenance;
        emit(f, SampleState.kindName(kind), idsJson, expectedByField, announcedProvenance, ownProvenance, null,
                parents, topic, partition, offset);
    }

    private void emit(StreamPlan.Feature f, String kind, String idsJson, String[] expectedByField, String expected,
            String recorded, String retracts, SampleState.Parent[] parents, String topic, int partition, long offset) {
        emit(f.key, f.featureVersion, f.fields, f.incrementsTopic, kind, idsJson, expectedByField, expected, recorded,
                retracts, parents, topic, partition, offset);
    }

    private void emit(String feature, String featureVersion, List<String> fields, String incrementsTopic, String kind,
            String idsJson, String[] expectedByField, String expected, String recorded, String retracts,
            SampleState.Parent[] parents, String topic, int partition, long offset) {
        String text = render(feature, featureVersion, fields, kind, idsJson, expectedByField, expected, recorded, retracts,
                parents, topic, partition, offset, true);
        // Characters are at most 3 UTF-8 bytes here: only a long text needs encoding to tell.
        if (text.length() > MAX_INCREMENT_BYTES / 3 && text.getBytes(StandardCharsets.UTF_8).length > MAX_INCREMENT_BYTES) {
            LOG.warn("increment of feature '{}' sample {} exceeds {} bytes: sent without its upstream columns",
                    feature, idsJson, MAX_INCREMENT_BYTES);
            text = render(feature, featureVersion, fields, kind, idsJson, expectedByField, expected, recorded, retracts,
                    parents, topic, partition, offset, false);
        }
        emitted.computeIfAbsent(feature + '\u0000' + kind, k -> getMetricGroup().addGroup("feature", feature)
                .addGroup("kind", kind).counter("metaxyIncrementsEmitted")).inc();
        output.collect(reuse.replace(new IncrementRecord(incrementsTopic, feature, kind, idsJson, text)));
    }

    private String render(String feature, String featureVersion, List<String> fields, String kind, String idsJson,
            String[] expectedByField, String expected, String recorded, String retracts, SampleState.Parent[] parents,
            String topic, int partition, long offset, boolean withUpstream) {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator g = IDS.getFactory().createGenerator(text)) {
            g.writeStartObject();
            g.writeStringField("kind", kind);
            g.writeStringField("feature", feature);
            g.writeStringField("feature_version", featureVersion);
            g.writeFieldName("ids");
            g.writeRawValue(idsJson);
            g.writeFieldName(SystemColumns.PROVENANCE_BY_FIELD);
            if (expectedByField == null) {
                g.writeNull();
            } else {
                g.writeStartObject();
                for (int i = 0; i < expectedByField.length; i++) {
                    g.writeStringField(fields.get(i), expectedByField[i]);
                }
                g.writeEndObject();
            }
            g.writeStringField(SystemColumns.PROVENANCE, expected);
            g.writeStringField("recorded_" + SystemColumns.PROVENANCE, recorded);
            if (retracts != null) {
                g.writeStringField("retracts", retracts);
            }
            g.writeFieldName("upstream");
            if (withUpstream) {
                g.writeTree(upstreamColumns(parents));
            } else {
                g.writeStartObject();
                g.writeEndObject();
                g.writeBooleanField("upstream_omitted", true);
            }
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
        return text.toString();
    }

    /**
     * The current parents' selected user columns, flat as {@code resolveUpdate} gives them: each
     * dep's select after its rename, the first dep in spec order winning a name; N:1 deps carry none.
     */
    private static ObjectNode upstreamColumns(SampleState.Parent[] parents) throws IOException {
        ObjectNode out = IDS.createObjectNode();
        for (SampleState.Parent p : parents) {
            if (p != null && p.columns() != null) {
                IDS.readTree(p.columns()).fields().forEachRemaining(e -> {
                    if (!out.has(e.getKey())) {
                        out.set(e.getKey(), e.getValue());
                    }
                });
            }
        }
        return out;
    }

    /**
     * After a restore under changed definitions: brings every key's state to the new plan's
     * layout ({@link PlanShape}) and converges it, emitting what batch {@code resolveUpdate}
     * now says differently (cause {@code redeploy}). Keys holding only N:1 members or 1:N
     * children are visited too: a rollback can make their rows current again.
     */
    private void reevaluateAllKeys(PlanShape before) throws Exception {
        Set<Object> keys = new LinkedHashSet<>();
        // Collected first: updating state while iterating RocksDB keys is not allowed.
        try (Stream<Object> stream = getKeyedStateBackend().getKeys(SAMPLE_STATE_NAME, VoidNamespace.INSTANCE)) {
            stream.forEach(keys::add);
        }
        try (Stream<Object> stream = getKeyedStateBackend().getKeys(MEMBERS_STATE_NAME, VoidNamespace.INSTANCE)) {
            stream.forEach(keys::add);
        }
        Map<String, int[]> remaps = new HashMap<>();
        Map<String, Boolean> changed = new HashMap<>();
        for (Object key : keys) {
            String k = (String) key;
            int cut = k.indexOf('\u0000');
            String name = k.substring(0, cut);
            StreamPlan.Feature f = plan.featureOrNull(name);
            if (f != null && !changed.computeIfAbsent(name, x -> before.changed(f))) {
                continue; // same layout, version and deps: nothing it says can differ now
            }
            setCurrentKey(key);
            int[] slots = f == null ? null : remaps.computeIfAbsent(name, x -> before.remap(f));
            SampleState s = samples.value();
            if (slots == null) {
                // The feature left the graph or its keys changed meaning: its state says nothing
                // now, and what it announced under those keys no longer holds.
                if (s != null && s.announcedKind != SampleState.NONE) {
                    String topic = f != null ? f.incrementsTopic
                            : plan.topicPrefix() + FeatureKey.of(name).tableName() + ".increments";
                    emit(name, before.featureVersion(name), List.of(), topic, "retracted", k.substring(cut + 1), null,
                            s.announcedProvenance, s.ownProvenance(before.featureVersion(name)),
                            SampleState.kindName(s.announcedKind), new SampleState.Parent[0], null, -1, -1);
                    outstanding--;
                }
                samples.clear();
                members.clear();
                continue;
            }
            if (s == null) {
                s = new SampleState(f.deps.size());
            }
            s = moveSlots(f, before, s, slots);
            for (int d = 0; d < f.deps.size(); d++) {
                if (f.deps.get(d).isAggregation()) {
                    s.parents[d] = aggregate(f, d);
                }
            }
            if (f.expansion) {
                collapseChildren(f, s);
            }
            reconcile(f, s, k.substring(cut + 1), false, before.versionChanged(f), null, -1, -1);
            store(s);
        }
    }

    /**
     * The state with parent slot {@code d} taken from old slot {@code slots[d]}, its rows' columns
     * as the dep selects them now; N:1 members follow their dep.
     */
    private SampleState moveSlots(StreamPlan.Feature f, PlanShape before, SampleState s, int[] slots) throws Exception {
        SampleState moved = new SampleState(slots.length);
        for (int d = 0; d < slots.length; d++) {
            SampleState.Parent[] rows = slots[d] < 0 || slots[d] >= s.parents.length ? null : s.parents[slots[d]];
            if (rows != null) {
                rows = rows.clone();
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = new SampleState.Parent(rows[i].featureVersion(), rows[i].dataVersions(),
                            before.carryColumns(f, slots[d], d, rows[i].columns()));
                }
            }
            moved.parents[d] = rows;
        }
        moved.own = s.own;
        moved.announcedKind = s.announcedKind;
        moved.announcedProvenance = s.announcedProvenance;
        if (PlanShape.isIdentity(slots, s.parents.length)) {
            return moved;
        }
        // All taken out before any is put back: a member may move onto a key another one leaves.
        List<Map.Entry<String, SampleState.Parent[]>> entries = new ArrayList<>();
        for (Map.Entry<String, SampleState.Parent[]> m : members.entries()) {
            if (!m.getKey().startsWith(OWN_CHILD)) {
                entries.add(Map.entry(m.getKey(), m.getValue()));
            }
        }
        for (Map.Entry<String, SampleState.Parent[]> m : entries) {
            members.remove(m.getKey());
        }
        for (Map.Entry<String, SampleState.Parent[]> m : entries) {
            int colon = m.getKey().indexOf(':');
            int old = Integer.parseInt(m.getKey().substring(0, colon));
            for (int d = 0; d < slots.length; d++) {
                if (slots[d] == old) {
                    members.put(d + m.getKey().substring(colon), m.getValue());
                }
            }
        }
        return moved;
    }
}
