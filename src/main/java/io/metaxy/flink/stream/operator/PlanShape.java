package io.metaxy.flink.stream.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.stream.RowParser;
import io.metaxy.flink.stream.StreamPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the keyed state of each feature was laid out by: its grain (the key's id columns) and its
 * deps in slot order (parent, lineage, {@code on}, rename); and the feature version its
 * announcements were made under. Stored with every snapshot so that a restore
 * under changed definitions can tell which state still means something.
 *
 * <pre>{@code
 * PlanShape before = PlanShape.decode(restoredLines);
 * int[] slots = before.remap(plan.feature("example/crop")); // null: drop the feature's keys
 * }</pre>
 */
public final class PlanShape {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One feature's layout, as stored: {@code deps} names each slot's content (parent, lineage,
     * {@code on}, and the renames of the parent's id columns, which shape the keys); per dep, the
     * upstream columns its rows carry ({@code select}, {@code rename}); {@code optional}, the
     * version and the parents' versions (only rows of those count) change what the slots mean,
     * not what they hold.
     */
    public record FeatureShape(String feature, String featureVersion, List<String> grain, List<String> deps,
            List<Columns> columns, List<Boolean> optional, List<String> parentVersions) {}

    /** The upstream columns a dep's rows carry: its {@code select} (null = all) and {@code rename}. */
    public record Columns(List<String> select, Map<String, String> rename) {}

    private final Map<String, FeatureShape> features;

    private PlanShape(Map<String, FeatureShape> features) {
        this.features = features;
    }

    /** One JSON line per feature of {@code plan}. */
    public static List<String> encode(StreamPlan plan) {
        List<String> lines = new ArrayList<>();
        for (StreamPlan.Feature f : plan.features()) {
            try {
                lines.add(JSON.writeValueAsString(shapeOf(f)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return lines;
    }

    public static PlanShape decode(Iterable<String> lines) {
        Map<String, FeatureShape> features = new HashMap<>();
        for (String line : lines) {
            try {
                FeatureShape shape = JSON.readValue(line, FeatureShape.class);
                features.put(shape.feature(), shape);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("unreadable plan shape in the restored state: " + line, e);
            }
        }
        return new PlanShape(features);
    }

    /**
     * For each dep slot of {@code f} now, the slot it had in this shape (-1: a dep it did not
     * have); null when the feature's keys mean nothing now: it was not in the graph, or its grain
     * changed.
     */
    public int[] remap(StreamPlan.Feature f) {
        FeatureShape before = features.get(f.key);
        FeatureShape now = shapeOf(f);
        if (before == null || !before.grain().equals(now.grain())) {
            return null;
        }
        int[] slots = new int[now.deps().size()];
        for (int d = 0; d < slots.length; d++) {
            slots[d] = before.deps().indexOf(now.deps().get(d));
        }
        return slots;
    }

    /**
     * Whether state laid out by this shape needs re-evaluating under {@code plan}: a feature
     * version, a grain, a dep or its optionality differs. Reordered deps change no version, but
     * the slots must follow them.
     */
    public boolean differsFrom(StreamPlan plan) {
        Map<String, FeatureShape> now = new HashMap<>();
        for (StreamPlan.Feature f : plan.features()) {
            now.put(f.key, shapeOf(f));
        }
        return !now.equals(features);
    }

    /** Whether {@code f}'s layout or meaning differs from this shape: its keys need re-evaluating. */
    public boolean changed(StreamPlan.Feature f) {
        return !shapeOf(f).equals(features.get(f.key));
    }

    /**
     * The columns of a row kept under old slot {@code before} of {@code f}, as its dep {@code now}
     * selects and renames them today (canonical JSON bytes; null when none are left). Columns the
     * old select left out cannot come back: they return when the parent row is rewritten.
     */
    public byte[] carryColumns(StreamPlan.Feature f, int before, int now, byte[] columns) {
        Columns old = features.get(f.key).columns().get(before);
        Columns next = shapeOf(f).columns().get(now);
        if (columns == null || old.equals(next)) {
            return columns;
        }
        Map<String, String> original = new HashMap<>();
        old.rename().forEach((from, to) -> original.put(to, from));
        try {
            ObjectNode out = JSON.createObjectNode();
            JSON.readTree(columns).fields().forEachRemaining(e -> {
                String name = original.getOrDefault(e.getKey(), e.getKey());
                String renamed = next.rename().getOrDefault(name, name);
                if (next.select() == null || next.select().contains(renamed)) {
                    out.set(renamed, e.getValue());
                }
            });
            return RowParser.canonical(out).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The feature version {@code feature} had in this shape, or null. */
    public String featureVersion(String feature) {
        FeatureShape shape = features.get(feature);
        return shape == null ? null : shape.featureVersion();
    }

    /** Whether {@code f}'s feature version differs from the one in this shape (or it had none). */
    public boolean versionChanged(StreamPlan.Feature f) {
        FeatureShape before = features.get(f.key);
        return before == null || !before.featureVersion().equals(f.featureVersion);
    }

    /** Whether {@code slots} (from {@link #remap}) keeps every slot where it was. */
    public static boolean isIdentity(int[] slots, int before) {
        if (slots.length != before) {
            return false;
        }
        for (int d = 0; d < slots.length; d++) {
            if (slots[d] != d) {
                return false;
            }
        }
        return true;
    }

    private static FeatureShape shapeOf(StreamPlan.Feature f) {
        List<String> deps = new ArrayList<>();
        List<Columns> columns = new ArrayList<>();
        List<Boolean> optional = new ArrayList<>();
        List<String> parentVersions = new ArrayList<>();
        for (StreamPlan.Dep dep : f.deps) {
            parentVersions.add(dep.parentFeatureVersion);
            Map<String, String> idRenames = new TreeMap<>();
            dep.rename.forEach((from, to) -> {
                if (dep.parentIdColumns.contains(from)) {
                    idRenames.put(from, to);
                }
            });
            deps.add(dep.parent + " " + dep.lineage + " " + dep.on + " " + idRenames);
            columns.add(new Columns(dep.select, new TreeMap<>(dep.rename)));
            optional.add(dep.optional);
        }
        return new FeatureShape(f.key, f.featureVersion, f.grain, deps, columns, optional, parentVersions);
    }
}
