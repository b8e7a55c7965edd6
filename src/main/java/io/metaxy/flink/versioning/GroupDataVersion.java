package io.metaxy.flink.versioning;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    public static Map<String, String> of(SampleHasher hasher, List<String> idColumns, Collection<Member> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("an aggregation group needs at least one member");
        }
        List<Member> ordered = new ArrayList<>(members);
        ordered.sort(byIds(idColumns));
        Map<String, String> out = new LinkedHashMap<>();
        for (String field : ordered.get(0).dataVersionByField().keySet().stream().sorted().toList()) {
            List<String> versions = new ArrayList<>(ordered.size());
            for (Member member : ordered) {
                String version = member.dataVersionByField().get(field);
                if (version == null) {
                    throw new IllegalArgumentException("group member " + member.ids() + " has no data version for field '" + field + "'");
                }
                versions.add(version);
            }
            out.put(field, ProvenanceCalculator.aggregate(hasher, versions));
        }
        return out;
    }

    private static Comparator<Member> byIds(List<String> idColumns) {
        Comparator<Member> order = (a, b) -> 0;
        for (String column : idColumns) {
            order = order.thenComparing(m -> m.ids().get(column), ProvenanceCalculator.ID_VALUE_ORDER);
        }
        return order;
    }
}
