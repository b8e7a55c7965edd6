package io.metaxy.flink.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/** FixedKeyMap behaves as the LinkedHashMap resolveUpdate used to build: same entries, order, equality, hash. */
class FixedKeyMapProperties {
    @Property
    void behavesAsALinkedHashMapOfTheSameEntries(@ForAll @Size(max = 6) Set<String> keySet, @ForAll List<String> values,
            @ForAll String probe) {
        List<String> keys = new ArrayList<>(keySet);
        Object[] array = new Object[keys.size()];
        Map<String, Object> expected = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            // Every other value null: increments carry null user columns.
            array[i] = i < values.size() && i % 2 == 0 ? values.get(i) : null;
            expected.put(keys.get(i), array[i]);
        }
        FixedKeyMap<Object> map = new FixedKeyMap<>(keys, array);
        assertThat(map).isEqualTo(expected);
        assertThat(expected).isEqualTo(map);
        assertThat(map.hashCode()).isEqualTo(expected.hashCode());
        assertThat(new ArrayList<>(map.keySet())).isEqualTo(keys);
        assertThat(map.get(probe)).isEqualTo(expected.get(probe));
        assertThat(map.containsKey(probe)).isEqualTo(expected.containsKey(probe));
        assertThat(map.toString()).isEqualTo(expected.toString());
        assertThatThrownBy(() -> map.put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Property(tries = 10)
    void refusesValuesThatDoNotMatchTheKeys(@ForAll @Size(min = 1, max = 4) Set<String> keys) {
        assertThatThrownBy(() -> new FixedKeyMap<>(List.copyOf(keys), new Object[keys.size() + 1]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
