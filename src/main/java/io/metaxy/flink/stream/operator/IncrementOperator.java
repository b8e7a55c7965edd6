package io.metaxy.flink.stream.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.stream.IncrementRecord;
import io.metaxy.flink.stream.RoutedEvent;
import io.metaxy.flink.stream.SampleKey;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.versioning.IncrementRules;
import io.metaxy.flink.versioning.IncrementRules.Announcement;
import io.metaxy.flink.versioning.IncrementRules.Kind;
import io.metaxy.flink.versioning.IncrementRules.Recorded;
import io.metaxy.flink.versioning.IncrementRules.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyed shell around {@link IncrementRules}: keeps per (feature, sample at its grain) what
 * the rules need in typed state and emits an increment the moment what batch
 * {@code resolveUpdate} would say for the sample changes. The state layout (docs/design.md,
 * "Operator state"):
 *
 * <ul>
 *   <li>{@link #SAMPLE_STATE}: the 1:1 (and 1:N-parent) parents' rows, the N:1 groups' folded
 *       rows, the feature's own record (for a 1:N feature its children collapsed) and the
 *       outstanding announcement;</li>
 *   <li>{@link #MEMBERS_STATE}: per N:1 dep the group's members, sorted ({@link MemberGroup});</li>
 *   <li>{@link #CHILDREN_STATE} and {@link #CHILD_SUMMARY_STATE}: a 1:N feature's children and
 *       their provenances counted ({@link ChildSummary}).</li>
 * </ul>
 *
 * Each event does one get and at most one put per state it touches; no event scans a group.
 * A raw operator rather than a process function because the redeploy sweep needs the
 * operator's key iteration and snapshot hooks.
 *
 * <p>On start from state taken under other definitions the keys are re-evaluated after start-up
 * in bounded chunks ({@link #SWEEP_CHUNK} keys per mailbox turn), so a large state restores,
 * checkpoints and commits while the sweep runs; until it ends the old shape stays in the
 * operator state, so a failure resumes it.
 *
 * <p>Bootstrapped from a store ({@link #IncrementOperator(StreamPlan, String)} with a seed id):
 * seed events ({@link RoutedEvent#seed}) fill only empty slots (a row of that feature version not
 * yet seen from Kafka), and while seeds arrive no event is evaluated (a Kafka event is applied,
 * but its key may still lack seeds); when the seed source has ended (its
 * {@code Watermark.MAX}, the Kafka source always emitting MAX) one pass over every key evaluates
 * it ({@code "cause": {"bootstrap": "<seed id>"}}), reusing the redeploy sweep's chunks. The seed
 * id stays pending in {@link #SEED_STATE} until that pass ends, so a failure repeats the pass
 * (re-evaluating an evaluated key emits nothing); a restore whose seed id is done skips it.
 *
 * Event value, e.g.:
 * <pre>{@code
 * {"kind":"new","feature":"example/crop","feature_version":"34d75856","ids":{"sample_uid":1},
 *  "metaxy_provenance_by_field":{"audio":"…","frames":"…"},"metaxy_provenance":"…",
 *  "recorded_metaxy_provenance":null,"upstream":{"path":"a.mp4"},"members":{},
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
    /** N:1 groups: parent feature key → the group's members through that dep. */
    public static final MapStateDescriptor<String, MemberGroup> MEMBERS_STATE =
            new MapStateDescriptor<>("metaxy-members", StringSerializer.INSTANCE, MemberGroup.Serializer.INSTANCE);
    /** A 1:N feature's children of the parent: child ids (canonical JSON) → its rows, each [provenance]. */
    public static final MapStateDescriptor<String, SampleState.Parent[]> CHILDREN_STATE =
            new MapStateDescriptor<>("metaxy-children", StringSerializer.INSTANCE, VersionedRowsSerializer.INSTANCE);
    public static final ValueStateDescriptor<ChildSummary> CHILD_SUMMARY_STATE =
            new ValueStateDescriptor<>("metaxy-children-summary", ChildSummary.Serializer.INSTANCE);
    /**
     * The shape of every feature the state is laid out by ({@link PlanShape}): the current plan's
     * once every key is re-evaluated, the restored one while a redeploy sweep is pending.
     */
    public static final ListStateDescriptor<String> PLAN_SHAPE_STATE =
            new ListStateDescriptor<>("metaxy-plan-shape", Types.STRING);
    public static final ListStateDescriptor<Long> OUTSTANDING_STATE =
            new ListStateDescriptor<>("metaxy-outstanding", Types.LONG);
    /**
     * The sweep's bookkeeping: {@code "epoch=N"}, the epoch every key of the layout in
     * {@link #PLAN_SHAPE_STATE} carries, and while a sweep is pending {@code "target=<graph version>"},
     * the definitions the swept keys (epoch N+1) follow.
     */
    public static final ListStateDescriptor<String> SWEEP_STATE = new ListStateDescriptor<>("metaxy-sweep", Types.STRING);
    /**
     * {@code "done=<seed id>"}: the last bootstrap whose seeds every key has been evaluated with.
     * A seed id not recorded here is pending: its evaluation pass runs when the seed source ends.
     */
    public static final ListStateDescriptor<String> SEED_STATE = new ListStateDescriptor<>("metaxy-seed", Types.STRING);
    /**
     * Increments above this size go out without their {@code upstream} columns and members
     * (flagged {@code "upstream_omitted": true}): a default broker refuses messages over 1 MiB,
     * and a refused increment would fail the job on every retry. The worker reads them from the store.
     */
    public static final int MAX_INCREMENT_BYTES = 900 * 1024;
    /** Keys re-evaluated per mailbox turn of the redeploy sweep. */
    public static final int SWEEP_CHUNK = 2_000;
    private static final Logger LOG = LoggerFactory.getLogger(IncrementOperator.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StreamPlan plan;
    /** The bootstrap's seed id ({@code StoreSeedSource#uid}), or null when the job is not bootstrapped. */
    private final String seedId;
    private transient ValueState<SampleState> samples;
    private transient MapState<String, MemberGroup> members;
    private transient MapState<String, SampleState.Parent[]> children;
    private transient ValueState<ChildSummary> childSummaries;
    private transient ListState<String> planShapeState;
    private transient ListState<Long> outstandingState;
    private transient ListState<String> sweepState;
    private transient ListState<String> seedState;
    /** The seed id whose evaluation pass has completed (restored), or null. */
    private transient String seedDone;
    /** Seeds may still arrive, or their evaluation pass has not ended. */
    private transient boolean seedPending;
    /** The sweep running now is the bootstrap's evaluation pass (every key, not only unswept ones). */
    private transient boolean seedPass;
    /** What the {@code cause} of an event without a source position names: {@code redeploy} or {@code bootstrap}. */
    private transient boolean causeBootstrap;
    /** The epoch of keys that follow the current plan; while sweeping, older keys carry {@link #layoutEpoch}. */
    private transient byte epoch;
    private transient byte layoutEpoch;
    /** The shape the state is laid out by while a redeploy sweep is pending; null otherwise. */
    private transient PlanShape pendingShape;
    private transient List<String> pendingShapeLines;
    private transient Iterator<SampleKey> sweep;
    private transient Stream<SampleKey> sweepStream;
    private transient Map<String, Boolean> sweepChanged;
    private transient long outstanding;
    private transient Map<String, Counter> emitted;
    private transient StreamRecord<IncrementRecord> reuse;
    private transient IncrementJson json;

    public IncrementOperator(StreamPlan plan) {
        this(plan, null);
    }

    /**
     * An operator of a job bootstrapped from a store: {@code seedId} names what the seed source
     * reads (a new id seeds again; see {@code StoreSeedSource#uid}).
     *
     * <pre>{@code
     * new IncrementOperator(plan, StoreSeedSource.uid(plan));
     * }</pre>
     */
    public IncrementOperator(StreamPlan plan, String seedId) {
        this.plan = plan;
        this.seedId = seedId;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        planShapeState = context.getOperatorStateStore().getUnionListState(PLAN_SHAPE_STATE);
        outstandingState = context.getOperatorStateStore().getListState(OUTSTANDING_STATE);
        sweepState = context.getOperatorStateStore().getUnionListState(SWEEP_STATE);
        seedState = context.getOperatorStateStore().getUnionListState(SEED_STATE);
        if (context.isRestored()) {
            for (String entry : seedState.get()) {
                if (entry.startsWith("done=")) {
                    seedDone = entry.substring(5);
                }
            }
            List<String> lines = new ArrayList<>();
            planShapeState.get().forEach(lines::add);
            // Union state: every subtask sees every subtask's copy; they are equal, keep one.
            List<String> distinct = lines.stream().distinct().toList();
            PlanShape shape = PlanShape.decode(distinct);
            String target = null;
            for (String entry : sweepState.get()) {
                if (entry.startsWith("epoch=")) {
                    layoutEpoch = (byte) Integer.parseInt(entry.substring(6));
                } else if (entry.startsWith("target=")) {
                    target = entry.substring(7);
                }
            }
            epoch = layoutEpoch;
            if (target != null && !target.equals(plan.graphVersion())) {
                throw new IllegalStateException("this state is half-way through re-evaluating its keys for definitions "
                        + target + " (a redeploy sweep was interrupted); redeploy those definitions until the sweep ends"
                        + " (metric metaxyRedeploySweepPending = 0), then deploy graph " + plan.graphVersion());
            }
            if (target != null || shape.differsFrom(plan)) {
                pendingShape = shape;
                pendingShapeLines = distinct;
                epoch = (byte) (layoutEpoch + 1);
            }
            for (Long n : outstandingState.get()) {
                outstanding += n;
            }
        }
        seedPending = seedId != null && !seedId.equals(seedDone);
    }

    @Override
    public void open() throws Exception {
        super.open();
        samples = getRuntimeContext().getState(SAMPLE_STATE);
        members = getRuntimeContext().getMapState(MEMBERS_STATE);
        children = getRuntimeContext().getMapState(CHILDREN_STATE);
        childSummaries = getRuntimeContext().getState(CHILD_SUMMARY_STATE);
        emitted = new HashMap<>();
        reuse = new StreamRecord<>(null);
        json = new IncrementJson();
        getMetricGroup().gauge("metaxyOutstandingIncrements", () -> outstanding);
        getMetricGroup().gauge("metaxyRedeploySweepPending", () -> pendingShape == null ? 0 : 1);
        getMetricGroup().gauge("metaxyBootstrapPending", () -> seedPending ? 1 : 0);
        if (pendingShape != null && seedPending) {
            // The bootstrap's pass after the seeds re-evaluates these keys too: re-evaluated now,
            // before their parents' seeds arrive, they would announce work that the seeds take back.
            LOG.info("state was taken under other definitions: re-evaluating its keys once the bootstrap seeds are in");
            sweepChanged = new HashMap<>();
        } else if (pendingShape != null) {
            LOG.info("state was taken under other definitions: re-evaluating its keys in chunks of {}", SWEEP_CHUNK);
            sweepChanged = new HashMap<>();
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + 1, t -> sweepChunk());
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (pendingShape != null) {
            planShapeState.update(pendingShapeLines);
            sweepState.update(List.of("epoch=" + layoutEpoch, "target=" + plan.graphVersion()));
        } else {
            planShapeState.update(PlanShape.encode(plan));
            sweepState.update(List.of("epoch=" + epoch));
        }
        String done = seedPending ? seedDone : seedId != null ? seedId : seedDone;
        seedState.update(done == null ? List.of() : List.of("done=" + done));
        outstandingState.update(List.of(outstanding));
    }

    @Override
    public void close() throws Exception {
        if (sweepStream != null) {
            sweepStream.close();
        }
        super.close();
    }

    /** Announcements this subtask has outstanding (also the {@code metaxyOutstandingIncrements} gauge). */
    public long outstanding() {
        return outstanding;
    }

    /** Whether a redeploy sweep is still re-evaluating keys. */
    public boolean sweepPending() {
        return pendingShape != null;
    }

    /** Whether bootstrap seeds may still arrive or their evaluation pass has not ended. */
    public boolean seedPending() {
        return seedPending;
    }

    /**
     * The seed source's end: a bounded source emits {@code Watermark.MAX} when it finishes, and
     * the Kafka source of a bootstrapped job always emits MAX, so the first MAX while a seed is
     * pending means every seed is in. One pass over every key then evaluates them.
     */
    @Override
    public void processWatermark(org.apache.flink.streaming.api.watermark.Watermark mark) throws Exception {
        super.processWatermark(mark);
        if (mark.getTimestamp() == Long.MAX_VALUE && seedPending && !seedPass) {
            seedPass = true;
            if (sweepChanged == null) {
                sweepChanged = new HashMap<>();
            }
            LOG.info("bootstrap seeds are in: evaluating every key in chunks of {}", SWEEP_CHUNK);
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + 1, t -> sweepChunk());
        }
    }

    @Override
    public void processElement(StreamRecord<RoutedEvent> record) throws Exception {
        RoutedEvent e = record.getValue();
        StreamPlan.Feature feature = plan.feature(e.target);
        SampleState s = samples.value();
        if (pendingShape != null && s != null && s.epoch != epoch) {
            // Not swept yet: bring the key to the current plan before the event counts.
            s = reevaluate(feature, s, e.idsJson);
            if (s == null) {
                s = samples.value();
            }
        }
        if (s == null) {
            s = new SampleState(feature.deps.size());
            s.epoch = epoch;
        }
        boolean self = e.depIndex == RoutedEvent.SELF;
        if (self && feature.expansion) {
            applyChild(feature, s, e);
        } else if (self) {
            if (!shadowed(s.own, e)) {
                s.own = apply(s.own, e, SampleState.ownRow(e.featureVersion, e.provenance), feature.featureVersion);
            }
        } else if (feature.deps.get(e.depIndex).isAggregation()) {
            applyMember(feature, s, e);
        } else if (!shadowed(s.parents[e.depIndex], e)) {
            StreamPlan.Dep dep = feature.deps.get(e.depIndex);
            s.parents[e.depIndex] = apply(s.parents[e.depIndex], e, new SampleState.Parent(e.featureVersion,
                    e.dataVersionByField, e.columnsJson == null ? null : e.columnsJson.getBytes(StandardCharsets.UTF_8)),
                    dep.parentFeatureVersion);
        }
        if (!e.seed && !(seedPending && !seedPass)) {
            // While seeds still arrive nothing is evaluated, a Kafka event neither: the key may
            // lack seeds yet (its own record, a parent), and announcing now would mean announcing
            // work the seeds take back. The bootstrap's pass evaluates every key once they are in.
            reconcile(feature, s, e.idsJson, self, false, e.topic, e.partition, e.offset);
        }
        store(s);
    }

    /**
     * Whether {@code e} is a seed for a slot that already holds a row of its version: that row came
     * from Kafka, is newer than the store's, and wins. A seed is only ever a write.
     */
    private static boolean shadowed(SampleState.Parent[] rows, RoutedEvent e) {
        return e.seed && (e.op != io.metaxy.flink.stream.RowOp.UPSERT || VersionedRows.current(rows, e.featureVersion) != null);
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

    /** A 1:N child's write or delete: its rows, the counted provenances, the collapsed record. */
    private void applyChild(StreamPlan.Feature f, SampleState s, RoutedEvent e) throws Exception {
        SampleState.Parent[] before = children.get(e.memberIdsJson);
        if (shadowed(before, e)) {
            return;
        }
        SampleState.Parent[] after = apply(before, e, SampleState.ownRow(e.featureVersion, e.provenance), f.featureVersion);
        ChildSummary summary = childSummaries.value();
        if (summary == null) {
            summary = new ChildSummary();
        }
        count(summary, before, -1);
        count(summary, after, +1);
        if (after == null) {
            children.remove(e.memberIdsJson);
        } else {
            children.put(e.memberIdsJson, after);
        }
        s.groupRows += (after == null ? 0 : 1) - (before == null ? 0 : 1);
        if (summary.isEmpty()) {
            childSummaries.clear();
        } else {
            childSummaries.update(summary);
        }
        collapse(f, s, summary);
    }

    private static void count(ChildSummary summary, SampleState.Parent[] rows, int delta) {
        if (rows != null) {
            for (SampleState.Parent row : rows) {
                summary.add(row.featureVersion(), row.dataVersions()[0], delta);
            }
        }
    }

    /** The feature's own record of a 1:N key: its current version's children collapsed ({@link IncrementRules#collapse}). */
    private static void collapse(StreamPlan.Feature f, SampleState s, ChildSummary summary) {
        Recorded current = summary == null ? Recorded.NONE : summary.recorded(f.featureVersion);
        s.own = current.present() ? new SampleState.Parent[] {SampleState.collapsedRow(f.featureVersion, current)} : null;
    }

    /** An N:1 member's write or delete: the group's members, then its folded row in the dep's slot. */
    private void applyMember(StreamPlan.Feature f, SampleState s, RoutedEvent e) throws Exception {
        StreamPlan.Dep dep = f.deps.get(e.depIndex);
        MemberGroup group = members.get(dep.parent);
        if (group == null) {
            group = MemberGroup.EMPTY;
        }
        Object[] order = idValues(e.memberIdsJson, dep.parentIdColumns);
        SampleState.Parent[] before = group.rows(order);
        if (shadowed(before, e)) {
            return;
        }
        SampleState.Parent[] after = apply(before, e, new SampleState.Parent(e.featureVersion, e.dataVersionByField,
                e.columnsJson == null ? null : e.columnsJson.getBytes(StandardCharsets.UTF_8)), dep.parentFeatureVersion);
        group = group.with(e.memberIdsJson, order, after);
        s.groupRows += (after == null ? 0 : 1) - (before == null ? 0 : 1);
        if (group.isEmpty()) {
            members.remove(dep.parent);
        } else {
            members.put(dep.parent, group);
        }
        s.parents[e.depIndex] = fold(f, dep, group);
    }

    /**
     * The group's row as its child sees it: per parent field, the fold of the current members'
     * data versions in id order. Null when no member of the parent's current version is left.
     */
    private static SampleState.Parent[] fold(StreamPlan.Feature f, StreamPlan.Dep dep, MemberGroup group) {
        List<String[]> current = new ArrayList<>(group.size());
        for (MemberGroup.Member m : group.members()) {
            SampleState.Parent row = VersionedRows.current(m.rows(), dep.parentFeatureVersion);
            if (row != null) {
                current.add(row.dataVersions());
            }
        }
        String[] folded = IncrementRules.fold(f.rules.hasher(), current);
        return folded == null ? null : new SampleState.Parent[] {new SampleState.Parent(dep.parentFeatureVersion, folded, null)};
    }

    private static Object[] idValues(String idsJson, List<String> columns) throws IOException {
        JsonNode ids = JSON.readTree(idsJson);
        Object[] values = new Object[columns.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = ids.get(columns.get(i));
            values[i] = v == null ? "" : v.isIntegralNumber() ? (Object) v.longValue() : v.asText();
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
     * Converges one sample to what the rules say now, emitting what changed. With
     * {@code reannounce} (the feature's version changed in a redeploy) an announcement that still
     * holds is made again: it now names the new feature version, whose rows alone answer it.
     */
    private void reconcile(StreamPlan.Feature f, SampleState s, String idsJson, boolean selfWrite, boolean reannounce,
            String topic, int partition, long offset) throws Exception {
        SampleState.Parent[] parents = new SampleState.Parent[f.deps.size()];
        String[][] dataVersions = new String[f.deps.size()][];
        for (int d = 0; d < dataVersions.length; d++) {
            parents[d] = VersionedRows.current(s.parents[d], f.deps.get(d).parentFeatureVersion);
            dataVersions[d] = parents[d] == null ? null : parents[d].dataVersions();
        }
        Recorded recorded = s.recorded(f.featureVersion);
        Verdict verdict = f.rules.classify(dataVersions, recorded);
        Announcement announced = new Announcement(Kind.ofCode(s.announcedKind), s.announcedProvenance);
        IncrementRules.Step step = IncrementRules.next(announced, verdict, selfWrite, recorded, reannounce);
        if (announced.kind() == Kind.NONE && step.next().kind() != Kind.NONE) {
            outstanding++;
        } else if (announced.kind() != Kind.NONE && step.next().kind() == Kind.NONE) {
            outstanding--;
        }
        s.announcedKind = step.next().kind().code();
        s.announcedProvenance = step.next().provenance();
        if (step.emit() == null) {
            return;
        }
        if (step.emit().equals(IncrementRules.RETRACTED)) {
            emit(f.key, f.featureVersion, f.fields, f.incrementsTopic, step.emit(), idsJson, null, announced.provenance(),
                    recorded.present() ? recorded.reported(announced.provenance()) : null, announced.kind().wire(),
                    f, parents, topic, partition, offset);
        } else {
            emit(f.key, f.featureVersion, f.fields, f.incrementsTopic, step.emit(), idsJson, verdict.expectedByField(),
                    step.next().provenance(), verdict.recorded(),
                    null, f, parents, topic, partition, offset);
        }
    }

    private void emit(String feature, String featureVersion, List<String> fields, String incrementsTopic, String kind,
            String idsJson, String[] expectedByField, String expected, String recorded, String retracts,
            StreamPlan.Feature f, SampleState.Parent[] parents, String topic, int partition, long offset) throws Exception {
        byte[] upstream = f == null ? IncrementJson.EMPTY_OBJECT : upstreamColumns(parents);
        ObjectNode groupMembers = f == null || retracts != null || !f.aggregates() ? null : members(f);
        IncrementJson.Cause cause = topic != null ? IncrementJson.Cause.position(topic, partition, offset)
                : causeBootstrap ? IncrementJson.Cause.named("bootstrap", seedId)
                : IncrementJson.Cause.named("redeploy", plan.graphVersion());
        byte[] value = json.render(feature, featureVersion, fields, kind, idsJson, expectedByField, expected, recorded,
                retracts, upstream, groupMembers, cause, true);
        if (value.length > MAX_INCREMENT_BYTES) {
            LOG.warn("increment of feature '{}' sample {} exceeds {} bytes: sent without its upstream columns and members",
                    feature, idsJson, MAX_INCREMENT_BYTES);
            value = json.render(feature, featureVersion, fields, kind, idsJson, expectedByField, expected, recorded,
                    retracts, upstream, groupMembers, cause, false);
        }
        emitted.computeIfAbsent(feature + '\u0000' + kind, k -> getMetricGroup().addGroup("feature", feature)
                .addGroup("kind", kind).counter("metaxyIncrementsEmitted")).inc();
        output.collect(reuse.replace(new IncrementRecord(incrementsTopic, feature, kind, idsJson, value)));
    }

    /**
     * The current parents' selected user columns, flat as {@code resolveUpdate} gives them: each
     * 1:1 or 1:N dep's select after its rename, the first dep in spec order winning a name; N:1
     * deps carry theirs per member ({@link #members}).
     */
    private static byte[] upstreamColumns(SampleState.Parent[] parents) throws IOException {
        SampleState.Parent only = null;
        int withColumns = 0;
        for (SampleState.Parent p : parents) {
            if (p != null && p.columns() != null) {
                only = p;
                withColumns++;
            }
        }
        if (withColumns == 0) {
            return IncrementJson.EMPTY_OBJECT;
        }
        if (withColumns == 1) {
            // The common case, one parent with columns: they are a canonical JSON object already
            // (RowParser.selectColumns), so their bytes go out as they are instead of parsed and
            // re-rendered. (Nothing changes a state row's bytes: IncrementJson only copies them.)
            return only.columns();
        }
        ObjectNode out = JSON.createObjectNode();
        for (SampleState.Parent p : parents) {
            if (p != null && p.columns() != null) {
                JSON.readTree(p.columns()).fields().forEachRemaining(e -> {
                    if (!out.has(e.getKey())) {
                        out.set(e.getKey(), e.getValue());
                    }
                });
            }
        }
        return JSON.writeValueAsBytes(out);
    }

    /**
     * Per N:1 dep (parent key) the group's current members in id order, each its ids and its
     * selected columns: what the worker aggregates.
     */
    private ObjectNode members(StreamPlan.Feature f) throws Exception {
        ObjectNode out = JSON.createObjectNode();
        for (StreamPlan.Dep dep : f.deps) {
            if (!dep.isAggregation()) {
                continue;
            }
            MemberGroup group = members.get(dep.parent);
            var list = out.putArray(dep.parent);
            if (group == null) {
                continue;
            }
            for (MemberGroup.Member m : group.members()) {
                SampleState.Parent row = VersionedRows.current(m.rows(), dep.parentFeatureVersion);
                if (row == null) {
                    continue;
                }
                ObjectNode member = (ObjectNode) JSON.readTree(m.idsJson());
                if (row.columns() != null) {
                    JSON.readTree(row.columns()).fields().forEachRemaining(c -> member.putIfAbsent(c.getKey(), c.getValue()));
                }
                list.add(member);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- redeploy sweep

    /**
     * One mailbox turn of the redeploy sweep: re-evaluates up to {@link #SWEEP_CHUNK} keys, then
     * yields to input and checkpoints. The RocksDB key iterator reads a snapshot of the state
     * taken when it was opened, so the sweep may update state between chunks; the heap backend,
     * whose state is in memory anyway, hands over a copy of its keys.
     */
    private void sweepChunk() throws Exception {
        if (sweep == null) {
            @SuppressWarnings("unchecked")
            Stream<SampleKey> keys = (Stream<SampleKey>) (Stream<?>) getKeyedStateBackend()
                    .getKeys(SAMPLE_STATE_NAME, VoidNamespace.INSTANCE);
            if (getKeyedStateBackend() instanceof HeapKeyedStateBackend<?>) {
                List<SampleKey> copy = keys.toList();
                keys.close();
                keys = copy.stream();
            }
            sweepStream = keys;
            sweep = keys.iterator();
        }
        Object previous = getCurrentKey();
        for (int i = 0; i < SWEEP_CHUNK && sweep.hasNext(); i++) {
            SampleKey key = sweep.next();
            setCurrentKey(key);
            SampleState s = samples.value();
            StreamPlan.Feature f = plan.featureOrNull(key.feature());
            if (s != null && pendingShape != null && s.epoch != epoch) {
                s = reevaluate(f, s, key.ids(), key.feature());
            }
            if (seedPass && s != null && f != null) {
                // Every key once with its seeds; one the redeploy step just converged emits nothing again.
                causeBootstrap = true;
                try {
                    reconcile(f, s, key.ids(), false, false, null, -1, -1);
                } finally {
                    causeBootstrap = false;
                }
                store(s);
            }
        }
        if (previous != null) {
            setCurrentKey(previous);
        }
        if (sweep.hasNext()) {
            // A millisecond later: a later mailbox turn, so input and checkpoints run in between.
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + 1, t -> sweepChunk());
        } else {
            sweepStream.close();
            sweepStream = null;
            sweep = null;
            pendingShape = null;
            pendingShapeLines = null;
            layoutEpoch = epoch;
            if (seedPass) {
                seedPass = false;
                seedPending = false;
                LOG.info("bootstrap done: every key evaluated with the store's rows");
            } else {
                LOG.info("redeploy sweep done: every key follows the current definitions");
            }
        }
    }

    private SampleState reevaluate(StreamPlan.Feature f, SampleState s, String idsJson) throws Exception {
        return reevaluate(f, s, idsJson, f.key);
    }

    /**
     * Brings one key laid out by the pending shape to the current plan ({@link PlanShape}) and
     * converges it, emitting what batch {@code resolveUpdate} now says differently (cause
     * {@code redeploy}). Returns the key's state afterwards (null when it was dropped). The key
     * is marked done with the current epoch, so neither a later chunk nor its next event (nor a
     * sweep resumed after a failure) re-evaluates it again.
     */
    private SampleState reevaluate(StreamPlan.Feature f, SampleState s, String idsJson, String name) throws Exception {
        PlanShape before = pendingShape;
        if (f != null && !sweepChanged.computeIfAbsent(name, x -> before.changed(f))) {
            // Same layout, version and deps: nothing it says can differ now.
            s.epoch = epoch;
            samples.update(s);
            return s;
        }
        int[] slots = f == null ? null : before.remap(f);
        if (slots == null) {
            // The feature left the graph or its keys changed meaning: its state says nothing
            // now, and what it announced under those keys no longer holds.
            if (s.announcedKind != SampleState.NONE) {
                String topic = f != null ? f.incrementsTopic
                        : plan.topicPrefix() + FeatureKey.of(name).tableName() + ".increments";
                String oldVersion = before.featureVersion(name);
                Recorded recorded = s.recorded(oldVersion);
                emit(name, oldVersion, List.of(), topic, IncrementRules.RETRACTED, idsJson, null, s.announcedProvenance,
                        recorded.present() ? recorded.reported(s.announcedProvenance) : null,
                        SampleState.kindName(s.announcedKind), null, new SampleState.Parent[0], null, -1, -1);
                outstanding--;
            }
            samples.clear();
            members.clear();
            children.clear();
            childSummaries.clear();
            return null;
        }
        s = moveSlots(f, before, s, slots);
        for (int d = 0; d < f.deps.size(); d++) {
            StreamPlan.Dep dep = f.deps.get(d);
            if (dep.isAggregation()) {
                MemberGroup group = members.get(dep.parent);
                s.parents[d] = group == null ? null : fold(f, dep, group);
            }
        }
        dropLeftGroups(f, s);
        if (f.expansion) {
            collapse(f, s, childSummaries.value());
        }
        reconcile(f, s, idsJson, false, before.versionChanged(f), null, -1, -1);
        s.epoch = epoch;
        store(s);
        return s;
    }

    /** Members of deps the feature no longer has (or no longer aggregates) say nothing now. */
    private void dropLeftGroups(StreamPlan.Feature f, SampleState s) throws Exception {
        List<String> left = new ArrayList<>();
        for (Map.Entry<String, MemberGroup> m : members.entries()) {
            boolean kept = f.deps.stream().anyMatch(d -> d.isAggregation() && d.parent.equals(m.getKey()));
            if (!kept) {
                left.add(m.getKey());
                s.groupRows -= m.getValue().size();
            }
        }
        for (String parent : left) {
            members.remove(parent);
        }
    }

    /** The state with parent slot {@code d} taken from old slot {@code slots[d]}, its rows' columns as the dep selects them now. */
    private static SampleState moveSlots(StreamPlan.Feature f, PlanShape before, SampleState s, int[] slots) {
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
        moved.groupRows = s.groupRows;
        moved.epoch = s.epoch;
        return moved;
    }
}
