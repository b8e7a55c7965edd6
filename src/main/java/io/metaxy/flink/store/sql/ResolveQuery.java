package io.metaxy.flink.store.sql;

import static io.metaxy.flink.store.sql.SqlMetadataStore.literal;
import static io.metaxy.flink.store.sql.SqlMetadataStore.q;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldRef;
import io.metaxy.flink.definitions.Lineage;
import io.metaxy.flink.store.Filter;
import io.metaxy.flink.store.FixedKeyMap;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.IncrementRow;
import io.metaxy.flink.store.MetadataStoreException;
import io.metaxy.flink.store.ResolveOptions;
import io.metaxy.flink.store.ResolveProgress;
import io.metaxy.flink.store.SystemColumns;
import io.metaxy.flink.versioning.IdValueOrder;
import io.metaxy.flink.versioning.IncrementRules;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the one query behind {@code resolveUpdate} (see {@link SqlMetadataStore} for which
 * backend hashes in SQL and which in Java):
 *
 * <pre>
 * WITH p0 AS (parent 0's current rows at the grain: grain keys, data version of each parent slot
 *             — for N:1 the members' versions string_agg'ed in id order),
 *      p1 AS (…),
 *      exp AS (required parents inner-joined, optional ones left-joined, on the grain keys),
 *      cur AS (the feature's current rows at the grain: recorded provenance, staleness flag)
 * SELECT … FROM exp FULL OUTER JOIN cur ON grain keys  [WHERE target filter]  ORDER BY grain keys
 * </pre>
 *
 * When hashing in SQL, {@code exph} adds the provenance to {@code exp}, the N:1 slots are hashed
 * in {@code p<i>}, and the select classifies and keeps only changed samples (see {@link #hashedQuery}).
 *
 * The grain is the feature's id columns, or the 'on' columns of a 1:N dep (increments of an
 * expansion are per parent; the children of one parent collapse to one current row, stale if
 * any child's provenance differs). Grain columns are looked up by name on both sides: a 1:N
 * child carries the parent's (renamed) id columns as ordinary columns, an N:1 parent carries
 * the child's id columns as ordinary columns.
 *
 * <p>The Java path classifies with {@link IncrementRules#classifySlots} (the one copy of the
 * rules; the {@code CASE} of {@link #hashedQuery} is its twin). Increments of a feature with N:1
 * deps carry the members of each changed group ({@link IncrementRow#members()}): after the main
 * query, one query per N:1 dep fetches the current members of the new and stale groups only.
 */
final class ResolveQuery {
    private final SqlMetadataStore store;
    private final SqlDialect dialect;
    private final FeatureSpec spec;
    private final ProvenanceCalculator calc;
    private final ResolveOptions options;
    private final List<String> grain;
    private final List<FieldRef> slots;
    private final boolean[] aggregated;
    /** Hash and classify in SQL (DuckDB) rather than in Java over the joined rows (PostgreSQL). */
    private final boolean sqlHash;
    /** The computed hashes {@code __pf<i>}, {@code __p} leave the database as BIGINT (see {@link SqlDialect#decimalHash}). */
    private final boolean decimalHashes;
    /** Upstream user columns carried to the increment: output name and the parent CTE providing it. */
    private final List<String> upstreamNames = new ArrayList<>();
    private final List<String> upstreamSources = new ArrayList<>();
    /** SQL type of each grain column (the feature's own, else the first parent's): what a target filter may name. */
    private final Map<String, String> grainTypes = new LinkedHashMap<>();

    /** One use: {@link #plan()} reads the store's tables as they are now; build a new one per plan. */
    ResolveQuery(SqlMetadataStore store, FeatureSpec spec, ProvenanceCalculator calc, ResolveOptions options, boolean sqlHash) {
        this.store = store;
        this.dialect = store.dialect();
        this.spec = spec;
        this.calc = calc;
        this.options = options;
        this.grain = ResolveOptions.targetColumns(spec);
        this.slots = calc.parentSlots();
        this.aggregated = new boolean[slots.size()];
        this.sqlHash = sqlHash;
        this.decimalHashes = sqlHash && dialect.decimalHash(store.hasher());
    }

    /** The query for the store as it is now: which tables exist and which columns they have. */
    Plan plan() throws SQLException {
        if (spec.isRoot()) {
            // A root's samples come from outside the graph: nothing upstream to compare with.
            return new Plan(null, List.of(), false, sqlHash);
        }
        List<Object> params = new ArrayList<>();
        List<String> ctes = new ArrayList<>();
        String[] slotSource = new String[slots.size()];
        Map<String, String> currentSchema = store.schema(spec.key());
        for (String g : grain) {
            if (currentSchema.containsKey(g)) {
                grainTypes.put(g, currentSchema.get(g));
            }
        }
        List<String> required = new ArrayList<>();
        List<String> optional = new ArrayList<>();
        boolean expectNothing = false;
        for (int d = 0; d < spec.deps().size(); d++) {
            FeatureDep dep = spec.deps().get(d);
            FeatureSpec parent = store.graph().spec(dep.feature());
            Map<String, String> parentSchema = store.schema(parent.key());
            if (parentSchema.isEmpty()) {
                // No table yet: a required parent has no samples, an optional one contributes "".
                expectNothing |= !dep.optional();
                continue;
            }
            String alias = "p" + d;
            ctes.add(alias + " AS (" + parentCte(dep, parent, parentSchema, alias, slotSource, params) + ")");
            (dep.optional() ? optional : required).add(alias);
        }
        boolean hasExpected = !spec.isRoot() && !expectNothing && !(required.isEmpty() && optional.isEmpty());
        if (hasExpected) {
            ctes.add("exp AS (" + expectedCte(required, optional, slotSource) + ")");
        }
        boolean hasCurrent = !currentSchema.isEmpty();
        if (hasCurrent) {
            ctes.add("cur AS (" + currentCte(currentSchema, params) + ")");
        }
        String sql;
        if (!hasExpected && !hasCurrent) {
            sql = null;
        } else if (sqlHash) {
            sql = hashedQuery(ctes, hasExpected, hasCurrent, params);
        } else {
            List<String> select = grainColumns(hasExpected, hasCurrent);
            for (int j = 0; j < slots.size(); j++) {
                select.add((hasExpected ? "e.__s" + j : "CAST(NULL AS VARCHAR)") + " AS __s" + j);
            }
            select.add((hasExpected ? "e.__e" : "CAST(NULL AS INTEGER)") + " AS __e");
            if (hasExpected) {
                for (int u = 0; u < upstreamNames.size(); u++) {
                    select.add("e.__u" + u);
                }
            }
            List<String> currentColumns = new ArrayList<>(List.of("__c", "__cp", "__cp2", "__sp"));
            for (int f = 0; f < calc.fields().size(); f++) {
                currentColumns.add("__cpbf" + f);
            }
            for (String c : currentColumns) {
                select.add(hasCurrent ? "c." + c + " AS " + c : nullOf(c) + " AS " + c);
            }
            String from;
            if (hasExpected && hasCurrent) {
                from = "exp e FULL OUTER JOIN cur c ON " + joinOn("e", "c");
            } else {
                from = hasExpected ? "exp e" : "cur c";
            }
            StringBuilder text = new StringBuilder("WITH ").append(String.join(",\n  ", ctes))
                    .append("\nSELECT * FROM (SELECT ").append(String.join(", ", select)).append(" FROM ").append(from).append(") r");
            if (options.globalFilter() != null) {
                text.append(" WHERE ").append(globalFilter().render(options.globalFilter(), "r", params));
            }
            text.append(" ORDER BY ").append(String.join(", ", grain.stream().map(g -> "r." + q(g)).toList()));
            sql = text.toString();
        }
        return new Plan(sql, List.copyOf(params), hasExpected, sqlHash);
    }

    /**
     * The whole of resolveUpdate in SQL: {@code exph} adds to each expected row its provenance by
     * field ({@code __pf<i>}, design §3's first formula over the slots {@code __s<j>}) and its
     * provenance ({@code __p}); the outer select classifies ({@code __kind}:
     * {@link #KIND_NEW}, {@link #KIND_STALE}, {@link #KIND_ORPHANED}) and drops unchanged
     * samples, so Java only maps rows. The {@code CASE} is the twin of
     * {@link IncrementRules#classifySlots}: stale unless min = max = expected and not flagged;
     * the recorded provenance reported is min unless min = expected, then max.
     */
    private String hashedQuery(List<String> ctes, boolean hasExpected, boolean hasCurrent, List<Object> params)
            throws SQLException {
        List<String> all = new ArrayList<>(ctes);
        if (hasExpected) {
            List<String> byField = new ArrayList<>();
            List<String> pfs = new ArrayList<>();
            for (int f = 0; f < calc.fields().size(); f++) {
                StringBuilder input = new StringBuilder(literal(calc.fieldPrefix(f)));
                for (int slot : calc.fieldSlots(f)) {
                    input.append(" || ").append(literal("|" + slots.get(slot) + "|"))
                            .append(" || coalesce(__s").append(slot).append(", '')");
                }
                byField.add(store.hashSql(input.toString()) + " AS __pf" + f);
                pfs.add("__pf" + f);
            }
            all.add("exph AS (SELECT *, " + store.hashSql(String.join(" || '|' || ", pfs)) + " AS __p FROM (SELECT *, "
                    + String.join(", ", byField) + " FROM exp) h)");
        }
        List<String> select = grainColumns(hasExpected, hasCurrent);
        for (int f = 0; f < calc.fields().size(); f++) {
            select.add(computedHash(hasExpected ? "e.__pf" + f : "CAST(NULL AS VARCHAR)") + " AS __pf" + f);
            select.add((hasCurrent ? "c.__cpbf" + f : "CAST(NULL AS VARCHAR)") + " AS __cpbf" + f);
        }
        select.add(computedHash(hasExpected ? "e.__p" : "CAST(NULL AS VARCHAR)") + " AS __p");
        if (hasExpected) {
            for (int u = 0; u < upstreamNames.size(); u++) {
                select.add("e.__u" + u);
            }
        }
        String kind;
        String from;
        if (hasExpected && hasCurrent) {
            kind = "CASE WHEN c.__c IS NULL THEN " + KIND_NEW + " WHEN e.__e IS NULL THEN " + KIND_ORPHANED
                    + " WHEN e.__p IS DISTINCT FROM c.__cp OR e.__p IS DISTINCT FROM c.__cp2 OR c.__sp = 1 THEN " + KIND_STALE + " END";
            // The recorded provenance reported for a stale row: the one that differs (1:N keeps min and max).
            select.add("CASE WHEN e.__p = c.__cp THEN c.__cp2 ELSE c.__cp END AS __rp");
            from = "exph e FULL OUTER JOIN cur c ON " + joinOn("e", "c");
        } else if (hasExpected) {
            kind = String.valueOf(KIND_NEW);
            select.add("CAST(NULL AS VARCHAR) AS __rp");
            from = "exph e";
        } else {
            kind = String.valueOf(KIND_ORPHANED);
            select.add("c.__cp AS __rp");
            from = "cur c";
        }
        select.add(kind + " AS __kind");
        StringBuilder text = new StringBuilder("WITH ").append(String.join(",\n  ", all))
                .append("\nSELECT * FROM (SELECT ").append(String.join(", ", select)).append(" FROM ").append(from)
                .append(") r WHERE r.__kind IS NOT NULL");
        if (options.globalFilter() != null) {
            text.append(" AND (").append(globalFilter().render(options.globalFilter(), "r", params)).append(")");
        }
        text.append(" ORDER BY ").append(String.join(", ", grain.stream().map(g -> "r." + q(g)).toList()));
        return text.toString();
    }

    /**
     * {@code __kind} of {@link #hashedQuery}: a number, not text ('new', …), since the driver
     * decodes every text value of a result row into a String, and this one is only compared.
     */
    static final int KIND_NEW = 1;
    static final int KIND_STALE = 2;
    static final int KIND_ORPHANED = 3;

    /** A hash the query computed, as it leaves the database: a number when {@link SqlDialect#decimalHash}. */
    private String computedHash(String text) {
        return decimalHashes ? "CAST(" + text + " AS BIGINT)" : text;
    }

    /** The sample's grain columns of the outer select, from whichever side of the join has them. */
    private List<String> grainColumns(boolean hasExpected, boolean hasCurrent) {
        List<String> select = new ArrayList<>();
        for (int g = 0; g < grain.size(); g++) {
            String e = "e.__g" + g;
            String c = "c.__g" + g;
            String value = hasExpected && hasCurrent ? "coalesce(" + e + ", " + c + ")" : hasExpected ? e : c;
            select.add(value + " AS " + q(grain.get(g)));
        }
        return select;
    }

    private String nullOf(String column) {
        return switch (column) {
            case "__c", "__sp" -> "CAST(NULL AS INTEGER)";
            default -> "CAST(NULL AS VARCHAR)";
        };
    }

    private String parentCte(FeatureDep dep, FeatureSpec parent, Map<String, String> parentSchema, String alias,
            String[] slotSource, List<Object> params) throws SQLException {
        Map<String, String> toParent = new HashMap<>();
        for (String column : parentSchema.keySet()) {
            toParent.put(dep.rename().getOrDefault(column, column), column);
        }
        boolean aggregate = dep.lineage() instanceof Lineage.Aggregation;
        List<String> parts = new ArrayList<>();
        List<String> groupBy = new ArrayList<>();
        for (int g = 0; g < grain.size(); g++) {
            String parentColumn = toParent.get(grain.get(g));
            if (parentColumn == null) {
                throw new MetadataStoreException("feature '" + spec.key() + "': cannot join upstream '" + parent.key()
                        + "' (" + dep.lineage() + ") on '" + grain.get(g) + "': the upstream has no such column; this lineage"
                        + " combination is not supported by resolveUpdate");
            }
            parts.add("x." + q(parentColumn) + " AS __g" + g);
            grainTypes.putIfAbsent(grain.get(g), parentSchema.get(parentColumn));
            groupBy.add("x." + q(parentColumn));
        }
        String memberOrder = String.join(", ", parent.idColumns().stream()
                .map(c -> dialect.textOrder("x." + q(c), parentSchema.getOrDefault(c, ""))).toList());
        for (int j = 0; j < slots.size(); j++) {
            FieldRef slot = slots.get(j);
            if (!slot.feature().equals(dep.feature())) {
                continue;
            }
            String element = dialect.byFieldElement("x." + q(SystemColumns.DATA_VERSION_BY_FIELD), literal(slot.field().structKey()));
            String value = element;
            if (aggregate) {
                // N:1: the group's data version, H(members' versions joined by '|' in id order).
                String joined = "string_agg(" + element + ", '|' ORDER BY " + memberOrder + ")";
                value = sqlHash ? store.hashSql(joined) : joined;
            }
            parts.add(value + " AS __s" + j);
            aggregated[j] = aggregate && !sqlHash;
            slotSource[j] = alias;
        }
        if (!aggregate) {
            for (String column : parentSchema.keySet()) {
                String name = dep.rename().getOrDefault(column, column);
                // select names columns after rename, as in Metaxy.
                boolean selected = dep.select() == null ? !parent.idColumns().contains(column) : dep.select().contains(name);
                if (selected && !SystemColumns.isSystem(column) && !grain.contains(name) && !upstreamNames.contains(name)) {
                    parts.add("x." + q(column) + " AS __u" + upstreamNames.size());
                    upstreamNames.add(name);
                    upstreamSources.add(alias);
                }
            }
        }
        StringBuilder sql = new StringBuilder("SELECT ").append(String.join(", ", parts))
                .append(" FROM (").append(store.latestRows(parent, true, true, false, params)).append(") x");
        if (!dep.filters().isEmpty()) {
            // Metaxy's filters, parsed: over the upstream's user and id columns under their post-rename names.
            Map<String, String> refs = new java.util.TreeMap<>();
            Map<String, String> types = new HashMap<>();
            for (boolean renamed : new boolean[] {false, true}) {
                // A renamed column shadows an unrenamed one of the name it takes.
                for (Map.Entry<String, String> column : parentSchema.entrySet()) {
                    if (!SystemColumns.isSystem(column.getKey()) && dep.rename().containsKey(column.getKey()) == renamed) {
                        String name = dep.rename().getOrDefault(column.getKey(), column.getKey());
                        refs.put(name, "x." + q(column.getKey()));
                        types.put(name, column.getValue());
                    }
                }
            }
            FilterExpressionRenderer renderer = new FilterExpressionRenderer(dialect, spec.key(), dep.feature(), refs, types);
            sql.append(" WHERE ").append(renderer.render(dep.filter(), params));
        }
        if (aggregate) {
            sql.append(" GROUP BY ").append(String.join(", ", groupBy));
        }
        return sql.toString();
    }

    private String expectedCte(List<String> required, List<String> optional, String[] slotSource) {
        StringBuilder from = new StringBuilder();
        String base;
        if (!required.isEmpty()) {
            base = required.get(0);
            from.append(base);
            for (String alias : required.subList(1, required.size())) {
                from.append(" JOIN ").append(alias).append(" ON ").append(joinOn(base, alias));
            }
        } else {
            // Only optional parents: a sample is expected when any of them has it.
            base = "k";
            List<String> keys = new ArrayList<>();
            for (String alias : optional) {
                keys.add("SELECT " + String.join(", ", grainAliases()) + " FROM " + alias);
            }
            from.append("(").append(String.join(" UNION ", keys)).append(") k");
        }
        for (String alias : optional) {
            from.append(" LEFT JOIN ").append(alias).append(" ON ").append(joinOn(base, alias));
        }
        List<String> select = new ArrayList<>();
        for (int g = 0; g < grain.size(); g++) {
            select.add(base + ".__g" + g);
        }
        for (int j = 0; j < slots.size(); j++) {
            select.add((slotSource[j] == null ? "CAST(NULL AS VARCHAR)" : slotSource[j] + ".__s" + j) + " AS __s" + j);
        }
        for (int u = 0; u < upstreamNames.size(); u++) {
            select.add(upstreamSources.get(u) + ".__u" + u);
        }
        select.add("1 AS __e");
        return "SELECT " + String.join(", ", select) + " FROM " + from;
    }

    private FilterRenderer globalFilter() {
        return new FilterRenderer(spec.key(), grainTypes, "global filter");
    }

    private String currentCte(Map<String, String> currentSchema, List<Object> params) {
        boolean collapse = !grain.equals(spec.idColumns());
        String staleFlag = "0";
        if (!options.stalenessPredicates().isEmpty()) {
            FilterRenderer renderer = new FilterRenderer(spec.key(), currentSchema, "staleness predicate");
            List<String> predicates = new ArrayList<>();
            for (Filter predicate : options.stalenessPredicates()) {
                predicates.add("(" + renderer.render(predicate, "x", params) + ")");
            }
            staleFlag = "CASE WHEN " + String.join(" OR ", predicates) + " THEN 1 ELSE 0 END";
        }
        List<String> select = new ArrayList<>();
        for (int g = 0; g < grain.size(); g++) {
            select.add("x." + q(grain.get(g)) + " AS __g" + g);
        }
        String prov = "x." + q(SystemColumns.PROVENANCE);
        if (collapse) {
            select.add("1 AS __c");
            select.add("min(" + prov + ") AS __cp");
            select.add("max(" + prov + ") AS __cp2");
            for (int f = 0; f < calc.fields().size(); f++) {
                select.add("CAST(NULL AS VARCHAR) AS __cpbf" + f);
            }
            select.add("max(" + staleFlag + ") AS __sp");
        } else {
            select.add("1 AS __c");
            select.add(prov + " AS __cp");
            select.add(prov + " AS __cp2");
            // One text column per field: drivers materialise MAP/JSONB values far slower than text.
            for (int f = 0; f < calc.fields().size(); f++) {
                select.add(dialect.byFieldElement("x." + q(SystemColumns.PROVENANCE_BY_FIELD), literal(calc.fieldNames().get(f)))
                        + " AS __cpbf" + f);
            }
            select.add(staleFlag + " AS __sp");
        }
        String sql = "SELECT " + String.join(", ", select) + " FROM (" + store.latestRows(spec, true, true, false, params) + ") x";
        if (options.targetFilter() != null) {
            // Metaxy's target_filters: they filter the feature's own current rows (any of its
            // columns) before the comparison, never the upstream.
            sql += " WHERE " + new FilterRenderer(spec.key(), currentSchema, "target filter").render(options.targetFilter(), "x", params);
        }
        if (collapse) {
            sql += " GROUP BY " + String.join(", ", grain.stream().map(g -> "x." + q(g)).toList());
        }
        return sql;
    }

    private List<String> grainAliases() {
        List<String> out = new ArrayList<>();
        for (int g = 0; g < grain.size(); g++) {
            out.add("__g" + g);
        }
        return out;
    }

    private String joinOn(String left, String right) {
        List<String> conditions = new ArrayList<>();
        for (int g = 0; g < grain.size(); g++) {
            conditions.add(left + ".__g" + g + " = " + right + ".__g" + g);
        }
        return String.join(" AND ", conditions);
    }

    /** Keys of the changed groups per member query: bounds the statement's parameter count. */
    private static final int MEMBER_KEYS_PER_QUERY = 500;

    /**
     * {@code inc} with each new and stale row carrying the current members of its group for
     * every N:1 dep ({@link IncrementRow#members()}). Only the changed groups' members are read:
     * one query per N:1 dep (per {@value #MEMBER_KEYS_PER_QUERY} groups), against the tables as
     * the main query saw them (the caller holds the store's lock).
     */
    private Increment withMembers(Increment inc) throws SQLException {
        List<FeatureDep> aggregations = spec.deps().stream().filter(d -> d.lineage() instanceof Lineage.Aggregation).toList();
        if (aggregations.isEmpty() || inc.added().isEmpty() && inc.stale().isEmpty()) {
            return inc;
        }
        List<List<Object>> keys = new ArrayList<>();
        for (List<IncrementRow> rows : List.of(inc.added(), inc.stale())) {
            for (IncrementRow row : rows) {
                keys.add(groupKey(row.ids()));
            }
        }
        Map<String, Map<List<Object>, List<Map<String, Object>>>> byDep = new LinkedHashMap<>();
        for (FeatureDep dep : aggregations) {
            byDep.put(dep.feature().toString(), members(dep, keys));
        }
        return new Increment(attach(inc.added(), byDep), attach(inc.stale(), byDep), inc.orphaned());
    }

    private List<Object> groupKey(Map<String, Object> ids) {
        List<Object> key = new ArrayList<>(grain.size());
        for (String g : grain) {
            key.add(SqlMetadataStore.normalize(ids.get(g)));
        }
        return key;
    }

    private List<IncrementRow> attach(List<IncrementRow> rows, Map<String, Map<List<Object>, List<Map<String, Object>>>> byDep) {
        List<IncrementRow> out = new ArrayList<>(rows.size());
        for (IncrementRow row : rows) {
            List<Object> key = groupKey(row.ids());
            Map<String, List<Map<String, Object>>> members = new LinkedHashMap<>();
            byDep.forEach((parent, groups) -> members.put(parent, groups.getOrDefault(key, List.of())));
            out.add(row.withMembers(members));
        }
        return out;
    }

    /**
     * The current members of the given groups of one N:1 dep: group key → members ordered by the
     * parent's id columns ({@link IdValueOrder}), each its id columns and selected columns, named
     * after the dep's rename. The same rows the main query folded (latest, current version, not
     * deleted, the dep's filters).
     */
    private Map<List<Object>, List<Map<String, Object>>> members(FeatureDep dep, List<List<Object>> keys) throws SQLException {
        FeatureSpec parent = store.graph().spec(dep.feature());
        Map<String, String> parentSchema = store.schema(parent.key());
        Map<List<Object>, List<Map<String, Object>>> out = new HashMap<>();
        if (parentSchema.isEmpty()) {
            return out;
        }
        Map<String, String> toParent = new HashMap<>();
        for (String column : parentSchema.keySet()) {
            toParent.put(dep.rename().getOrDefault(column, column), column);
        }
        List<String> grainParent = new ArrayList<>();
        for (String g : grain) {
            grainParent.add(toParent.get(g));
        }
        List<String> memberColumns = new ArrayList<>(parent.idColumns());
        for (String column : parentSchema.keySet()) {
            boolean selected = dep.select() == null ? !parent.idColumns().contains(column)
                    : dep.select().contains(dep.rename().getOrDefault(column, column));
            if (selected && !SystemColumns.isSystem(column) && !memberColumns.contains(column)) {
                memberColumns.add(column);
            }
        }
        List<String> select = new ArrayList<>();
        for (int g = 0; g < grainParent.size(); g++) {
            select.add("x." + q(grainParent.get(g)) + " AS __g" + g);
        }
        for (int m = 0; m < memberColumns.size(); m++) {
            select.add("x." + q(memberColumns.get(m)) + " AS __m" + m);
        }
        List<String> memberNames = memberColumns.stream().map(c -> dep.rename().getOrDefault(c, c)).toList();
        int idCount = parent.idColumns().size();
        for (int from = 0; from < keys.size(); from += MEMBER_KEYS_PER_QUERY) {
            List<List<Object>> part = keys.subList(from, Math.min(keys.size(), from + MEMBER_KEYS_PER_QUERY));
            List<Object> params = new ArrayList<>();
            StringBuilder sql = new StringBuilder("SELECT ").append(String.join(", ", select)).append(" FROM (")
                    .append(store.latestRows(parent, true, true, false, params)).append(") x WHERE ");
            for (String filter : dep.filters()) {
                sql.append("(").append(filter).append(") AND ");
            }
            List<String> anyKey = new ArrayList<>();
            for (List<Object> key : part) {
                List<String> equal = new ArrayList<>();
                for (int g = 0; g < key.size(); g++) {
                    equal.add("x." + q(grainParent.get(g)) + " = ?");
                    params.add(key.get(g));
                }
                anyKey.add("(" + String.join(" AND ", equal) + ")");
            }
            sql.append("(").append(String.join(" OR ", anyKey)).append(")");
            try (PreparedStatement ps = store.prepare(sql.toString(), params); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<Object> key = new ArrayList<>(grain.size());
                    for (int g = 0; g < grain.size(); g++) {
                        key.add(SqlMetadataStore.normalize(rs.getObject("__g" + g)));
                    }
                    Map<String, Object> member = new LinkedHashMap<>();
                    for (int m = 0; m < memberColumns.size(); m++) {
                        member.put(memberNames.get(m), SqlMetadataStore.normalize(rs.getObject("__m" + m)));
                    }
                    out.computeIfAbsent(key, k -> new ArrayList<>()).add(member);
                }
            }
        }
        // The fold's order: the members' id columns, numbers numerically, text by compareTo.
        Comparator<Map<String, Object>> order = (a, b) -> 0;
        for (int i = 0; i < idCount; i++) {
            String name = memberNames.get(i);
            order = order.thenComparing(m -> m.get(name), IdValueOrder.INSTANCE);
        }
        for (List<Map<String, Object>> group : out.values()) {
            group.sort(order);
        }
        return out;
    }

    /** A built query with what is needed to map its rows; run it before the store changes. */
    final class Plan {
        private final String sql;
        private final List<Object> parameters;
        private final boolean carriesUpstream;
        private final boolean hashed;

        Plan(String sql, List<Object> parameters, boolean carriesUpstream, boolean hashed) {
            this.sql = sql;
            this.parameters = parameters;
            this.carriesUpstream = carriesUpstream;
            this.hashed = hashed;
        }

        String sql() {
            return sql == null ? "-- nothing to resolve: neither upstream nor current rows exist" : sql;
        }

        List<Object> parameters() {
            return parameters;
        }

        /** Runs the query; the caller holds the store's lock from {@link #plan()} on. */
        Increment run() throws SQLException {
            if (sql == null) {
                return new Increment(List.of(), List.of(), List.of());
            }
            Increment inc;
            try (PreparedStatement ps = store.prepare(sql, parameters); ResultSet rs = ps.executeQuery()) {
                inc = hashed ? mapRows(rs) : classify(rs);
            }
            return withMembers(inc);
        }

        private Increment classify(ResultSet rs) throws SQLException {
            int[] grainIdx = columns(rs, grain);
            int[] slotIdx = columns(rs, "__s", slots.size());
            int eIdx = rs.findColumn("__e");
            int cIdx = rs.findColumn("__c");
            int cpIdx = rs.findColumn("__cp");
            int cp2Idx = rs.findColumn("__cp2");
            int[] cpbfIdx = columns(rs, "__cpbf", calc.fields().size());
            int spIdx = rs.findColumn("__sp");
            int[] upstreamIdx = columns(rs, "__u", carriesUpstream ? upstreamNames.size() : 0);
            IncrementRules rules = IncrementRules.of(store.graph(), spec.key(), store.hasher());
            ResolveProgress progress = options.progress();
            List<IncrementRow> added = new ArrayList<>();
            List<IncrementRow> stale = new ArrayList<>();
            List<IncrementRow> orphaned = new ArrayList<>();
            String[] versions = new String[slots.size()];
            while (rs.next()) {
                Map<String, Object> ids = values(rs, grain, grainIdx);
                boolean expected = rs.getObject(eIdx) != null;
                IncrementRules.Recorded recorded = rs.getObject(cIdx) == null ? IncrementRules.Recorded.NONE
                        : new IncrementRules.Recorded(rs.getString(cpIdx), rs.getString(cp2Idx), rs.getInt(spIdx) == 1);
                if (expected) {
                    for (int j = 0; j < versions.length; j++) {
                        String value = rs.getString(slotIdx[j]);
                        // N:1: string_agg already joined the members' versions with '|' in id
                        // order; the fold hashes that join (fold of one pre-joined value = fold of the members).
                        versions[j] = value != null && aggregated[j] ? IncrementRules.fold(store.hasher(), List.of(value)) : value;
                    }
                }
                IncrementRules.Verdict verdict = rules.classifySlots(expected ? versions : null, recorded);
                if (progress != null) {
                    progress.row(verdict.kind() != IncrementRules.Kind.NONE);
                }
                switch (verdict.kind()) {
                    case NEW -> added.add(new IncrementRow(ids, calc.byFieldMap(verdict.expectedByField()), verdict.expected(),
                            null, null, values(rs, upstreamNames, upstreamIdx)));
                    case STALE -> stale.add(new IncrementRow(ids, calc.byFieldMap(verdict.expectedByField()), verdict.expected(),
                            recordedByField(rs, cpbfIdx), verdict.recorded(), values(rs, upstreamNames, upstreamIdx)));
                    case ORPHANED -> orphaned.add(new IncrementRow(ids, null, null, recordedByField(rs, cpbfIdx), verdict.recorded()));
                    case NONE -> { }
                }
            }
            return new Increment(added, stale, orphaned);
        }

        /** Maps the rows of {@link #hashedQuery}: hashes and classification were computed in SQL. */
        private Increment mapRows(ResultSet rs) throws SQLException {
            int[] grainIdx = columns(rs, grain);
            int[] pfIdx = columns(rs, "__pf", calc.fields().size());
            int[] cpbfIdx = columns(rs, "__cpbf", calc.fields().size());
            int pIdx = rs.findColumn("__p");
            int rpIdx = rs.findColumn("__rp");
            int kindIdx = rs.findColumn("__kind");
            ResolveProgress progress = options.progress();
            int[] upstreamIdx = columns(rs, "__u", carriesUpstream ? upstreamNames.size() : 0);
            List<IncrementRow> added = new ArrayList<>();
            List<IncrementRow> stale = new ArrayList<>();
            List<IncrementRow> orphaned = new ArrayList<>();
            while (rs.next()) {
                Map<String, Object> ids = values(rs, grain, grainIdx);
                int kind = rs.getInt(kindIdx);
                if (progress != null) {
                    progress.row(true); // the SQL returns increments only
                }
                if (kind == KIND_ORPHANED) {
                    orphaned.add(new IncrementRow(ids, null, null, recordedByField(rs, cpbfIdx), rs.getString(rpIdx)));
                    continue;
                }
                String[] byField = new String[pfIdx.length];
                for (int f = 0; f < byField.length; f++) {
                    byField[f] = computedHash(rs, pfIdx[f]);
                }
                Map<String, String> byFieldMap = new FixedKeyMap<>(calc.fieldNames(), byField);
                Map<String, Object> upstream = values(rs, upstreamNames, upstreamIdx);
                if (kind == KIND_NEW) {
                    added.add(new IncrementRow(ids, byFieldMap, computedHash(rs, pIdx), null, null, upstream));
                } else {
                    stale.add(new IncrementRow(ids, byFieldMap, computedHash(rs, pIdx), recordedByField(rs, cpbfIdx),
                            rs.getString(rpIdx), upstream));
                }
            }
            return new Increment(added, stale, orphaned);
        }

        /** A hash of {@link #computedHash(String)}: the number renders back to the hash's text. */
        private String computedHash(ResultSet rs, int column) throws SQLException {
            if (!decimalHashes) {
                return rs.getString(column);
            }
            long value = rs.getLong(column);
            return rs.wasNull() ? null : Long.toString(value);
        }

        private static int[] columns(ResultSet rs, List<String> names) throws SQLException {
            int[] out = new int[names.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = rs.findColumn(names.get(i));
            }
            return out;
        }

        /** Indexes of the numbered result columns {@code prefix0 … prefix(n-1)}. */
        private static int[] columns(ResultSet rs, String prefix, int n) throws SQLException {
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = rs.findColumn(prefix + i);
            }
            return out;
        }

        /** name → value of the given result columns (the first {@code columns.length} names). */
        private static Map<String, Object> values(ResultSet rs, List<String> names, int[] columns) throws SQLException {
            if (columns.length == 0) {
                return Map.of();
            }
            Object[] out = new Object[columns.length];
            for (int i = 0; i < columns.length; i++) {
                out[i] = SqlMetadataStore.normalize(rs.getObject(columns[i]));
            }
            return new FixedKeyMap<>(columns.length == names.size() ? names : names.subList(0, columns.length), out);
        }

        /** The recorded provenance by field, or null when collapsed (1:N) or absent. */
        private Map<String, String> recordedByField(ResultSet rs, int[] columns) throws SQLException {
            String[] out = new String[columns.length];
            for (int f = 0; f < columns.length; f++) {
                String value = rs.getString(columns[f]);
                if (value == null) {
                    return null;
                }
                out[f] = value;
            }
            return new FixedKeyMap<>(calc.fieldNames(), out);
        }
    }
}
