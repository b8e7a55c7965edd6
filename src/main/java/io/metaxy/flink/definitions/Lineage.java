package io.metaxy.flink.definitions;

import java.util.List;

/**
 * How samples of a feature relate to samples of one upstream feature (Metaxy's
 * {@code LineageRelationship}, models/lineage.py).
 *
 * <pre>{@code
 * Lineage.identity();                          // 1:1, joined on the id columns
 * Lineage.expansion(List.of("video_id"));      // 1:N, one parent row fans out to many children
 * Lineage.aggregation(List.of("speaker_id"));  // N:1, many parent rows fold into one child
 * Lineage.aggregation(null);                   // N:1 on all of the child's id columns
 * }</pre>
 *
 * <ul>
 *   <li><b>1:N expansion</b>: {@code on} names id columns of the <em>parent</em> (after the dep's
 *       {@code rename}). The child's own id columns are finer; its rows carry the {@code on}
 *       columns, as ordinary columns unless they are also among its id columns. Example: parent
 *       {@code video/raw} ids {@code [video_id]}, child {@code video/chunk} ids
 *       {@code [video_chunk_id]}, {@code expansion(on=[video_id])}.</li>
 *   <li><b>N:1 aggregation</b>: {@code on} is a subset of the <em>child's</em> id columns and
 *       defaults to all of them when not given (null or empty here; absent or null in Metaxy's
 *       snapshots). The parent rows carry them, as ordinary columns unless they are parent id
 *       columns. Example: parent {@code audio} ids {@code [audio_id]} with a {@code speaker_id}
 *       column, child {@code speaker/embedding} ids {@code [speaker_id]},
 *       {@code aggregation(on=[speaker_id])}.</li>
 * </ul>
 * {@link FeatureGraph} validates the columns and replaces a defaulted aggregation by one naming
 * the child's id columns, so every spec read from a graph has concrete {@code on} columns. The
 * lineage does not enter any definition version (Metaxy's field versions hash code versions and
 * parent field versions only).
 */
public sealed interface Lineage {

    /** The Metaxy relationship type: {@code 1:1}, {@code 1:N} or {@code N:1}. */
    String type();

    /**
     * Columns the child joins the parent on; empty for identity (the id columns are used) and for
     * an aggregation whose default (all child id columns) {@link FeatureGraph} has not resolved yet.
     */
    List<String> on();

    static Lineage identity() {
        return new Identity();
    }

    static Lineage expansion(List<String> on) {
        return new Expansion(on);
    }

    /** N:1 on {@code on}; null or empty means Metaxy's default, all of the child's id columns. */
    static Lineage aggregation(List<String> on) {
        return new Aggregation(on);
    }

    record Identity() implements Lineage {
        @Override
        public String type() {
            return "1:1";
        }

        @Override
        public List<String> on() {
            return List.of();
        }

        @Override
        public String toString() {
            return "1:1";
        }
    }

    record Expansion(List<String> on) implements Lineage {
        public Expansion {
            on = requireColumns("1:N", on);
        }

        @Override
        public String type() {
            return "1:N";
        }

        @Override
        public String toString() {
            return "1:N on " + on;
        }
    }

    /** N:1; an empty {@code on} stands for the default, all of the child's id columns. */
    record Aggregation(List<String> on) implements Lineage {
        public Aggregation {
            on = on == null ? List.of() : List.copyOf(on);
        }

        /** True when {@code on} was not given: the child's id columns are meant. */
        public boolean defaultOn() {
            return on.isEmpty();
        }

        @Override
        public String type() {
            return "N:1";
        }

        @Override
        public String toString() {
            return defaultOn() ? "N:1 on the id columns" : "N:1 on " + on;
        }
    }

    private static List<String> requireColumns(String type, List<String> on) {
        if (on == null || on.isEmpty()) {
            throw new DefinitionException(type + " lineage needs at least one 'on' column");
        }
        return List.copyOf(on);
    }
}
