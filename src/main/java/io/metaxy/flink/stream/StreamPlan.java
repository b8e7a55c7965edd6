package io.metaxy.flink.stream;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FilterExpression;
import io.metaxy.flink.versioning.DefinitionVersions;
import io.metaxy.flink.versioning.IncrementRules;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph compiled into what the job's functions need at runtime: per feature its topics,
 * current feature version, sorted fields, deps and a {@link ProvenanceCalculator}. Serializable
 * so that it ships inside the operators (a {@link FeatureGraph} itself is not).
 *
 * <pre>{@code
 * StreamPlan plan = StreamPlan.of(graph, "metaxy.");
 * plan.feature("example/crop").incrementsTopic(); // "metaxy.example__crop.increments"
 * }</pre>
 */
public final class StreamPlan implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String DEFAULT_TOPIC_PREFIX = "metaxy.";

    private final String topicPrefix;
    private final SampleHasher hasher;
    private final String graphVersion;
    private final Map<String, Feature> features;
    private final Map<String, Feature> byTopic;

    private StreamPlan(FeatureGraph graph, String topicPrefix, SampleHasher hasher) {
        this.topicPrefix = topicPrefix;
        this.hasher = hasher;
        // Feature versions are truncated by the same length as every sample hash (as in Metaxy).
        DefinitionVersions versions = DefinitionVersions.of(graph, hasher.length());
        this.graphVersion = versions.graphVersion();
        Map<String, Feature> all = new LinkedHashMap<>();
        Map<String, Feature> topics = new LinkedHashMap<>();
        for (FeatureKey key : graph.topologicalOrder()) {
            Feature feature = new Feature(graph, versions, key, topicPrefix, hasher, all);
            all.put(feature.key, feature);
            topics.put(feature.topic, feature);
        }
        for (Feature feature : all.values()) {
            for (FeatureKey child : graph.children(FeatureKey.of(feature.key))) {
                Feature c = all.get(child.toString());
                for (int d = 0; d < c.deps.size(); d++) {
                    StreamPlan.Dep dep = c.deps.get(d);
                    if (dep.parent.equals(feature.key)) {
                        feature.children.add(new ChildLink(c.key, d));
                    }
                }
            }
        }
        this.features = Collections.unmodifiableMap(all);
        this.byTopic = Collections.unmodifiableMap(topics);
    }

    public static StreamPlan of(FeatureGraph graph) {
        return new StreamPlan(graph, DEFAULT_TOPIC_PREFIX, SampleHasher.DEFAULT);
    }

    public static StreamPlan of(FeatureGraph graph, String topicPrefix) {
        return new StreamPlan(graph, topicPrefix, SampleHasher.DEFAULT);
    }

    public static StreamPlan of(FeatureGraph graph, String topicPrefix, SampleHasher hasher) {
        return new StreamPlan(graph, topicPrefix, hasher);
    }

    public String topicPrefix() {
        return topicPrefix;
    }

    /** The hash algorithm and truncation length of every hash and feature version of this plan. */
    public SampleHasher hasher() {
        return hasher;
    }

    /** This product's graph version; a change means definitions changed since the last run. */
    public String graphVersion() {
        return graphVersion;
    }

    public String deadLetterTopic() {
        return topicPrefix + "dlq";
    }

    /** Features in topological order. */
    public Iterable<Feature> features() {
        return features.values();
    }

    public Feature feature(String key) {
        Feature feature = features.get(key);
        if (feature == null) {
            throw new IllegalArgumentException("unknown feature '" + key + "' (plan has " + features.keySet() + ")");
        }
        return feature;
    }

    /** The feature of that key, or null when the graph has none. */
    public Feature featureOrNull(String key) {
        return features.get(key);
    }

    /** The feature whose metadata topic is {@code topic}, or null. */
    public Feature featureOfTopic(String topic) {
        return byTopic.get(topic);
    }

    public List<String> metadataTopics() {
        return List.copyOf(byTopic.keySet());
    }

    /** Non-root features this job cannot compute increments for yet (other lineage shapes, sql_filters). */
    public List<String> featuresWithoutIncrements() {
        return features.values().stream().filter(f -> !f.incremental).map(f -> f.key).toList();
    }

    /**
     * Whether any row joins a group: an incremental expansion feature's own rows (1:N children
     * grouped by their parent) or the parent rows of an N:1 dep. {@link
     * io.metaxy.flink.stream.operator.RouteFunction} emits member events exactly then, so only
     * then does the job need the group assigner (and its keyed state).
     */
    public boolean routesMembers() {
        return features.values().stream().anyMatch(f -> !f.isRoot() && f.incremental
                && (f.expansion || f.deps.stream().anyMatch(Dep::isAggregation)));
    }

    /** The increments topic of every non-root feature. */
    public List<String> incrementTopics() {
        return features.values().stream().filter(f -> !f.isRoot()).map(f -> f.incrementsTopic).toList();
    }

    /** Every topic the job reads or writes: metadata, increments (non-root features) and dead letters. */
    public List<String> allTopics() {
        List<String> topics = new ArrayList<>(byTopic.keySet());
        topics.addAll(incrementTopics());
        topics.add(deadLetterTopic());
        return topics;
    }

    /** One feature as the job sees it. Per-field arrays follow {@link #fields} (sorted by key). */
    public static final class Feature implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String key;
        public final String topic;
        public final String incrementsTopic;
        public final String featureVersion;
        public final List<String> idColumns;
        /** {@link #idColumns} in the order of canonical ids JSON (sorted by name). */
        public final List<String> sortedIdColumns;
        public final List<String> fields;
        public final List<Dep> deps;
        public final List<ChildLink> children = new ArrayList<>();
        /**
         * Ordinary columns every written row must carry, non-null, because they place the row in
         * a group ({@link FeatureGraph#carriedColumns}): a 1:N feature's {@code on} columns, and
         * the {@code on} columns of N:1 children (under this feature's names).
         */
        public final List<String> groupColumns = new ArrayList<>();
        public final ProvenanceCalculator calculator;
        /** The increment rules of this feature (the one copy the store and the tests use too). */
        public final IncrementRules rules;
        /**
         * Whether this job computes increments for the feature: 1:1 deps, N:1 deps whose
         * {@code on} columns are the feature's id columns, or only 1:N deps on one set of columns
         * that are their parents' id columns. Other features are still validated and passed to the
         * store, but get no increments yet.
         */
        public final boolean incremental;
        /**
         * The granularity of increments: the id columns, or the {@code on} columns of a 1:N dep
         * (increments of an expansion are per parent; the worker creates the children).
         */
        public final List<String> grain;
        public final boolean expansion;

        private Feature(FeatureGraph graph, DefinitionVersions versions, FeatureKey featureKey, String prefix,
                SampleHasher hasher, Map<String, Feature> upstream) {
            FeatureSpec spec = graph.spec(featureKey);
            this.key = featureKey.toString();
            this.topic = prefix + featureKey.tableName();
            this.incrementsTopic = topic + ".increments";
            this.featureVersion = versions.featureVersion(featureKey);
            this.idColumns = List.copyOf(spec.idColumns());
            this.sortedIdColumns = idColumns.stream().sorted().toList();
            this.rules = IncrementRules.of(graph, featureKey, hasher);
            this.calculator = rules.calculator();
            this.fields = calculator.fieldNames();
            List<Dep> depList = new ArrayList<>();
            for (FeatureDep dep : spec.deps()) {
                depList.add(new Dep(dep, upstream.get(dep.feature().toString())));
            }
            this.deps = List.copyOf(depList);
            this.grain = deps.stream().filter(Dep::isExpansion).findFirst().map(d -> d.on).orElse(idColumns);
            this.expansion = !grain.equals(idColumns);
            groupColumns.addAll(graph.carriedColumns(featureKey));
            if (expansion) {
                // Every dep joins at the 'on' grain with exactly one parent row per grain key.
                this.incremental = deps.stream().allMatch(d -> d.isExpansion()
                        && Set.copyOf(d.on).equals(Set.copyOf(grain)) && d.parentIdsOnGrain());
            } else {
                this.incremental = deps.stream().allMatch(d -> d.isIdentity()
                        || d.isAggregation() && Set.copyOf(d.on).equals(Set.copyOf(idColumns)));
            }
        }

        public boolean isRoot() {
            return deps.isEmpty();
        }

        /** Whether any dep is N:1: only then do increments carry group members. */
        public boolean aggregates() {
            return deps.stream().anyMatch(Dep::isAggregation);
        }

        public int fieldIndex(String field) {
            return fields.indexOf(field);
        }

    }

    /** A dep of a feature on a parent feature. */
    public static final class Dep implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String parent;
        public final String parentFeatureVersion;
        public final boolean optional;
        public final String lineage;
        /** Upstream user columns carried to increments; null = all. */
        public final List<String> select;
        public final Map<String, String> rename;
        /** Lineage {@code on} columns as the child names them; empty for 1:1. */
        public final List<String> on;
        /** The parent's id columns: N:1 members are ordered by them. */
        public final List<String> parentIdColumns;
        /**
         * The dep's filters over the parent row after rename ({@link FilterExpression#ALWAYS}
         * without any): a row that does not match counts as absent for this dep.
         */
        public final FilterExpression filter;
        /**
         * Whether {@link #filter} can refuse a row. Decided once by value: the plan ships to the
         * tasks serialized, so its filter is a copy of {@link FilterExpression#ALWAYS}, never the
         * constant itself, and an identity test would evaluate the filter for every row.
         */
        public final boolean filtered;
        /**
         * For an N:1 dep: the parent's own names of the {@code on} columns (the dep's rename
         * reversed), which its rows carry as ordinary columns; in {@link #on}'s order.
         */
        public final List<String> groupColumns;

        private Dep(FeatureDep dep, Feature parentFeature) {
            this.parent = dep.feature().toString();
            this.parentFeatureVersion = parentFeature.featureVersion;
            this.optional = dep.optional();
            this.lineage = dep.lineage().type();
            this.select = dep.select() == null ? null : List.copyOf(dep.select());
            this.rename = Map.copyOf(dep.rename());
            this.on = List.copyOf(dep.lineage().on());
            this.parentIdColumns = parentFeature.idColumns;
            this.filter = dep.filter();
            this.filtered = !FilterExpression.ALWAYS.equals(filter);
            List<String> group = new ArrayList<>();
            for (String column : on) {
                String source = column;
                for (Map.Entry<String, String> r : rename.entrySet()) {
                    if (r.getValue().equals(column)) {
                        source = r.getKey();
                    }
                }
                group.add(source);
            }
            this.groupColumns = isAggregation() ? List.copyOf(group) : List.of();
        }

        public boolean isExpansion() {
            return "1:N".equals(lineage);
        }

        boolean parentIdsOnGrain() {
            return Set.copyOf(parentIdColumns.stream().map(c -> rename.getOrDefault(c, c)).toList()).equals(Set.copyOf(on));
        }

        public boolean isAggregation() {
            return "N:1".equals(lineage);
        }

        public boolean isIdentity() {
            return "1:1".equals(lineage);
        }
    }

    /** A child feature reading this feature through its dep number {@code depIndex}. */
    public record ChildLink(String child, int depIndex) implements Serializable {}
}
