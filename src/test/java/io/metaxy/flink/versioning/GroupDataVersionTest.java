package io.metaxy.flink.versioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class GroupDataVersionTest {
    private static final List<String> IDS = List.of("speaker", "utterance");

    @Property(tries = 200)
    void groupVersionIsTheHashOfMembersInIdOrderWhateverTheInputOrder(@ForAll @IntRange(min = 1, max = 15) int size,
            @ForAll long seed) {
        Random random = new Random(seed);
        List<GroupDataVersion.Member> members = new ArrayList<>();
        List<Integer> utterances = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            utterances.add(i * 7 - 40);
        }
        Collections.shuffle(utterances, random);
        for (int u : utterances) {
            members.add(member("s1", u, "v" + u));
        }
        List<String> expectedOrder = utterances.stream().sorted().map(u -> "v" + u).toList();
        Map<String, String> group = GroupDataVersion.of(SampleHasher.DEFAULT, IDS, members);
        assertThat(group).containsExactly(Map.entry("audio", SampleHasher.DEFAULT.hash(String.join("|", expectedOrder))));
    }

    @Test
    void rejectsMembersMissingAnIdColumn() {
        Map<String, Object> ids = new HashMap<>(Map.of("speaker", "s1"));
        assertThatThrownBy(() -> GroupDataVersion.of(SampleHasher.DEFAULT, IDS, List.of(member("s1", 1, "a"),
                new GroupDataVersion.Member(ids, Map.of("audio", "b")))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no value for id column 'utterance'");
    }

    @Test
    void rejectsDuplicateIdsIncludingNumericallyEqualOnes() {
        assertThatThrownBy(() -> GroupDataVersion.of(SampleHasher.DEFAULT, IDS, List.of(member("s1", 1, "a"), member("s1", 1L, "b"))))
                .hasMessageContaining("two group members have the same ids");
        assertThatThrownBy(() -> GroupDataVersion.of(SampleHasher.DEFAULT, IDS, List.of(member("s1", 1, "a"), member("s1", 1.0, "b"))))
                .hasMessageContaining("two group members have the same ids");
    }

    @Test
    void rejectsAColumnMixingNumbersAndText() {
        assertThatThrownBy(() -> GroupDataVersion.of(SampleHasher.DEFAULT, IDS, List.of(member("s1", 1, "a"), member("s1", "1", "b"))))
                .hasMessageContaining("id column 'utterance' mixes numbers and text across group members (1 and \"1\")");
    }

    @Test
    void rejectsMembersWithDifferentFields() {
        GroupDataVersion.Member extra = new GroupDataVersion.Member(Map.of("speaker", "s1", "utterance", 2),
                Map.of("audio", "b", "video", "c"));
        assertThatThrownBy(() -> GroupDataVersion.of(SampleHasher.DEFAULT, IDS, List.of(member("s1", 1, "a"), extra)))
                .hasMessageContaining("field 'video', which other members lack");
    }

    private static GroupDataVersion.Member member(String speaker, Object utterance, String audio) {
        return new GroupDataVersion.Member(Map.of("speaker", speaker, "utterance", utterance), Map.of("audio", audio));
    }
}
