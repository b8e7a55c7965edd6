package io.metaxy.flink.definitions;

import java.util.List;

/**
 * How samples of a feature relate to samples of one upstream feature.
 *
 * <pre>{@code
 * Lineage.identity();                          // 1:1, joined on the id columns
 * Lineage.expansion(List.of("video_id"));      // 1:N, one parent row fans out to many children
 * Lineage.aggregation(List.of("speaker_id"));  // N:1, many parent rows fold into one child
 * }</pre>
 */
public sealed interface Lineage {

    /** The Metaxy relationship type: {@code 1:1}, {@code 1:N} or {@code N:1}. */
    String type();

    /** Columns the child joins the parent on; empty for identity (the id columns are used). */
    List<String> on();

    static Lineage identity() {
        return new Identity();
    }

    static Lineage expansion(List<String> on) {
        return new Expansion(on);
    }

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

    record Aggregation(List<String> on) implements Lineage {
        public Aggregation {
            on = requireColumns("N:1", on);
        }

        @Override
        public String type() {
            return "N:1";
        }

        @Override
        public String toString() {
            return "N:1 on " + on;
        }
    }

    private static List<String> requireColumns(String type, List<String> on) {
        if (on == null || on.isEmpty()) {
            throw new DefinitionException(type + " lineage needs at least one 'on' column");
        }
        return List.copyOf(on);
    }
}
