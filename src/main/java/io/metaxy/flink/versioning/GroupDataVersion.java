package io.metaxy.flink.versioning;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The data version an N:1 aggregation group presents to its child (design §3): per parent field,
 * {@code H(join("|", members' data versions of that field, ordered by the members' id columns))}.
 *
 * <pre>{@code
 * Map<String, String> group = GroupDataVersion.of(SampleHasher.DEFAULT, List.of("utterance_id"), List.of(
 *         new GroupDataVersion.Member(Map.of("utterance_id", 2), Map.of("audio", "b")),
 *         new GroupDataVersion.Member(Map.of("utterance_id", 1), Map.of("audio", "a"))));
 * // {audio = H("a|b")}
 * }</pre>
 */
public final class GroupDataVersion {

    /** One upstream row of the group: its id columns and its data version by field. */
    public record Member(Map<String, Object> ids, Map<String, String> dataVersionByField) {}

    private GroupDataVersion() {}

    /**
     * The group's data version by field. Every member must have a value for every id column, a
     * column must hold only numbers or only text across the group (as one SQL column does), no two
     * members may share their ids, and all members must carry the same fields; otherwise an
     * {@link IllegalArgumentException} names the column or field.
     */
    public static Map<String, String> of(SampleHasher hasher, List<String> idColumns, Collection<Member> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("an aggregation group needs at least one member");
        }
        requireIds(idColumns, members);
        List<Member> ordered = new ArrayList<>(members);
        Comparator<Member> byIds = byIds(idColumns);
        ordered.sort(byIds);
        for (int i = 1; i < ordered.size(); i++) {
            if (byIds.compare(ordered.get(i - 1), ordered.get(i)) == 0) {
                throw new IllegalArgumentException("two group members have the same ids " + ordered.get(i).ids()
                        + " (id columns " + idColumns + ")");
            }
        }
        Set<String> fields = new TreeSet<>(ordered.get(0).dataVersionByField().keySet());
        Map<String, String> out = new LinkedHashMap<>();
        for (String field : fields) {
            List<String> versions = new ArrayList<>(ordered.size());
            for (Member member : ordered) {
                String version = member.dataVersionByField().get(field);
                if (version == null) {
                    throw new IllegalArgumentException("group member " + member.ids() + " has no data version for field '" + field + "'");
                }
                versions.add(version);
            }
            out.put(field, IncrementRules.fold(hasher, versions));
        }
        for (Member member : ordered) {
            for (String field : member.dataVersionByField().keySet()) {
                if (!fields.contains(field)) {
                    throw new IllegalArgumentException("group member " + member.ids() + " has a data version for field '" + field
                            + "', which other members lack");
                }
            }
        }
        return out;
    }

    private static void requireIds(List<String> idColumns, Collection<Member> members) {
        for (String column : idColumns) {
            Object numberSeen = null;
            Object textSeen = null;
            for (Member member : members) {
                Object value = member.ids().get(column);
                if (value == null) {
                    throw new IllegalArgumentException("group member " + member.ids() + " has no value for id column '" + column + "'");
                }
                if (value instanceof Number) {
                    numberSeen = value;
                } else {
                    textSeen = value;
                }
                if (numberSeen != null && textSeen != null) {
                    throw new IllegalArgumentException("id column '" + column + "' mixes numbers and text across group members ("
                            + numberSeen + " and \"" + textSeen + "\")");
                }
            }
        }
    }

    private static Comparator<Member> byIds(List<String> idColumns) {
        Comparator<Member> order = (a, b) -> 0;
        for (String column : idColumns) {
            order = order.thenComparing(m -> m.ids().get(column), IdValueOrder.INSTANCE);
        }
        return order;
    }
}
