package io.metaxy.flink.store.sql;

import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.store.Filter;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.IncrementRow;
import io.metaxy.flink.store.LazyIncrement;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.ReadOptions;
import io.metaxy.flink.store.ResolveOptions;
import io.metaxy.flink.store.SchemaMismatchException;
import io.metaxy.flink.store.SystemColumns;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code resolveUpdate} with given samples (Metaxy's {@code resolve_update(feature, samples=…)}):
 * the samples replace the upstream join and are compared in Java, by the feature's id columns,
 * with the feature's current rows read through the store (the target and global filters and the
 * staleness predicates applied there in SQL). The global and target filters are applied to the
 * samples too, evaluated in Java over their ids, user columns and provenance columns.
 */
final class SampleResolver implements LazyIncrement {
    private final SqlMetadataStore store;
    private final FeatureSpec spec;
    private final ResolveOptions options;

    SampleResolver(SqlMetadataStore store, FeatureSpec spec, ResolveOptions options) {
        this.store = store;
        this.spec = spec;
        this.options = options;
    }

    @Override
    public String sql() {
        return "-- " + options.samples().size() + " given samples of '" + spec.key() + "' are compared in Java with its"
                + " current rows (read with the target and global filters)";
    }

    @Override
    public List<Object> parameters() {
        return List.of();
    }

    @Override
    public Increment collect() {
        ProvenanceCalculator calc = store.calculator(spec.key());
        Set<String> fields = new TreeSet<>(calc.fieldNames());
        Filter sampleFilter = and(options.globalFilter(), options.targetFilter());
        // The samples as one frame: a user column some of them lack is null there.
        Set<String> sampleColumns = new TreeSet<>();
        options.samples().forEach(sample -> sampleColumns.addAll(sample.columns().keySet()));
        // Expected: the samples, keyed by their ids (a later sample of the same ids wins).
        Map<List<Object>, IncrementRow> expected = new LinkedHashMap<>();
        for (MetadataRow sample : options.samples()) {
            List<Object> key = key(sample.ids());
            Map<String, String> byField = sample.provenanceByField();
            if (byField == null || !new TreeSet<>(byField.keySet()).equals(fields) || byField.containsValue(null)) {
                throw new SchemaMismatchException("feature '" + spec.key() + "': sample " + sample.ids() + " must carry "
                        + SystemColumns.PROVENANCE_BY_FIELD + " with a value for each of the fields " + fields + ", got "
                        + byField);
            }
            String provenance = calc.provenance(byField);
            if (sample.provenance() != null && !sample.provenance().equals(provenance)) {
                throw new SchemaMismatchException("feature '" + spec.key() + "': sample " + sample.ids() + " has "
                        + SystemColumns.PROVENANCE + " '" + sample.provenance() + "' but its " + SystemColumns.PROVENANCE_BY_FIELD
                        + " gives '" + provenance + "'");
            }
            if (sampleFilter != null && !test(sampleFilter, values(sample, sampleColumns, provenance))) {
                continue;
            }
            expected.put(key, new IncrementRow(sample.ids(), byField, provenance, null, null, sample.columns()));
        }
        // Current: the latest current-version rows, restricted by the target and global filters.
        Filter currentFilter = and(options.globalFilter(), options.targetFilter());
        Map<List<Object>, MetadataRow> current = new LinkedHashMap<>();
        for (MetadataRow row : store.read(spec.key().toString(), ReadOptions.defaults().filter(currentFilter))) {
            current.put(key(row.ids()), row);
        }
        Set<List<Object>> predicateStale = new HashSet<>();
        if (!options.stalenessPredicates().isEmpty() && !current.isEmpty()) {
            Filter any = options.stalenessPredicates().size() == 1 ? options.stalenessPredicates().get(0)
                    : new Filter.Or(options.stalenessPredicates());
            for (MetadataRow row : store.read(spec.key().toString(), ReadOptions.defaults().filter(and(currentFilter, any)))) {
                predicateStale.add(key(row.ids()));
            }
        }
        List<IncrementRow> added = new ArrayList<>();
        List<IncrementRow> stale = new ArrayList<>();
        List<IncrementRow> orphaned = new ArrayList<>();
        expected.forEach((key, row) -> {
            MetadataRow recorded = current.get(key);
            if (recorded == null) {
                added.add(row);
            } else if (!row.provenance().equals(recorded.provenance()) || predicateStale.contains(key)) {
                stale.add(new IncrementRow(row.ids(), row.provenanceByField(), row.provenance(), recorded.provenanceByField(),
                        recorded.provenance(), row.upstream()));
            }
        });
        current.forEach((key, recorded) -> {
            if (!expected.containsKey(key)) {
                orphaned.add(new IncrementRow(recorded.ids(), null, null, recorded.provenanceByField(), recorded.provenance()));
            }
        });
        Comparator<IncrementRow> byIds = (a, b) -> compareKeys(key(a.ids()), key(b.ids()));
        added.sort(byIds);
        stale.sort(byIds);
        orphaned.sort(byIds);
        return new Increment(added, stale, orphaned);
    }

    private List<Object> key(Map<String, Object> ids) {
        List<Object> key = new ArrayList<>(spec.idColumns().size());
        for (String id : spec.idColumns()) {
            Object value = SqlMetadataStore.normalize(ids.get(id));
            if (value == null) {
                throw new SchemaMismatchException("feature '" + spec.key() + "': sample " + ids + " has no value for id column '"
                        + id + "'");
            }
            key.add(value);
        }
        if (!spec.idColumns().containsAll(ids.keySet())) {
            throw new SchemaMismatchException("feature '" + spec.key() + "': sample " + ids + " names columns that are not its id"
                    + " columns " + spec.idColumns());
        }
        return key;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compareKeys(List<Object> a, List<Object> b) {
        for (int i = 0; i < a.size(); i++) {
            Object x = a.get(i);
            Object y = b.get(i);
            int c;
            if (x instanceof Number n && y instanceof Number m) {
                c = new BigDecimal(n.toString()).compareTo(new BigDecimal(m.toString()));
            } else if (x instanceof Comparable && x.getClass() == y.getClass()) {
                c = ((Comparable) x).compareTo(y);
            } else {
                c = String.valueOf(x).compareTo(String.valueOf(y));
            }
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** What a filter over a sample may name: ids, user columns, and its provenance columns. */
    private static Map<String, Object> values(MetadataRow sample, Set<String> columns, String provenance) {
        Map<String, Object> out = new TreeMap<>();
        columns.forEach(c -> out.put(c, null));
        sample.ids().forEach((k, v) -> out.put(k, SqlMetadataStore.normalize(v)));
        sample.columns().forEach((k, v) -> out.put(k, SqlMetadataStore.normalize(v)));
        out.put(SystemColumns.PROVENANCE, provenance);
        out.put(SystemColumns.PROVENANCE_BY_FIELD, sample.provenanceByField());
        return out;
    }

    private static Filter and(Filter a, Filter b) {
        return a == null ? b : b == null ? a : Filter.and(a, b);
    }

    private boolean test(Filter filter, Map<String, Object> row) {
        if (filter instanceof Filter.And a) {
            return a.operands().stream().allMatch(f -> test(f, row));
        }
        if (filter instanceof Filter.Or o) {
            return o.operands().stream().anyMatch(f -> test(f, row));
        }
        if (filter instanceof Filter.Not n) {
            return !test(n.operand(), row);
        }
        if (filter instanceof Filter.IsNull n) {
            return value(row, n.column()) == null;
        }
        if (filter instanceof Filter.In in) {
            Object value = value(row, in.column());
            return value != null && in.values().stream().anyMatch(v -> v != null && compare(value, v) == 0);
        }
        Filter.Comparison c = (Filter.Comparison) filter;
        Object value = value(row, c.column());
        if (value == null) {
            return false; // SQL: a comparison with null is not true
        }
        int cmp = compare(value, c.value());
        return switch (c.op()) {
            case EQ -> cmp == 0;
            case NE -> cmp != 0;
            case LT -> cmp < 0;
            case LE -> cmp <= 0;
            case GT -> cmp > 0;
            case GE -> cmp >= 0;
        };
    }

    private Object value(Map<String, Object> row, String column) {
        if (!row.containsKey(column)) {
            throw new SchemaMismatchException("feature '" + spec.key() + "': filter column '" + column
                    + "' is not a column of the given samples " + row.keySet());
        }
        return row.get(column);
    }

    /** The sample's value against a filter value converted to its type, as the SQL renderer converts to the column's. */
    private int compare(Object value, Object filterValue) {
        try {
            if (value instanceof Number n) {
                return new BigDecimal(n.toString()).compareTo(new BigDecimal(filterValue.toString().trim()));
            }
            if (value instanceof Boolean b) {
                String text = filterValue.toString().trim().toLowerCase(java.util.Locale.ROOT);
                if (!text.equals("true") && !text.equals("false")) {
                    throw new NumberFormatException(text);
                }
                return Boolean.compare(b, Boolean.parseBoolean(text));
            }
        } catch (NumberFormatException e) {
            throw new SchemaMismatchException("feature '" + spec.key() + "': filter value '" + filterValue
                    + "' cannot be compared with the samples' " + value.getClass().getSimpleName() + " value " + value);
        }
        if (value instanceof Map) {
            throw new SchemaMismatchException("feature '" + spec.key() + "': by-field columns can only be tested for null");
        }
        return Objects.toString(value).compareTo(filterValue.toString());
    }
}
