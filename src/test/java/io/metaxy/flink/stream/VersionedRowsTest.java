package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.stream.operator.SampleState;
import io.metaxy.flink.stream.operator.VersionedRows;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * {@link VersionedRows} against a model that keeps every version's latest row: whatever the
 * slot keeps is exactly the model's row for that version, a write never evicts the current
 * version's row, and the most recently written version's row is always there.
 */
class VersionedRowsTest {
    @Property(tries = 500)
    void keepsTheLatestRowOfTheCurrentAndTheMostRecentVersions(
            @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 1000) Integer> steps) {
        SampleState.Parent[] rows = null;
        Map<String, SampleState.Parent> model = new LinkedHashMap<>();
        String lastWritten = null;
        for (int step : steps) {
            String version = "v" + step % 4;
            String current = "v" + (step / 4) % 3; // redeploys move the current version around
            if (step % 7 == 0) {
                rows = VersionedRows.remove(rows, version);
                model.remove(version);
                if (version.equals(lastWritten)) {
                    lastWritten = null;
                }
            } else {
                SampleState.Parent row = new SampleState.Parent(version, new String[] {"d" + step}, null);
                SampleState.Parent currentBefore = VersionedRows.current(rows, current);
                rows = VersionedRows.put(rows, row, current);
                if (!version.equals(current)) {
                    assertThat(VersionedRows.current(rows, current)).as("a write of another version keeps the current row")
                            .isEqualTo(currentBefore);
                }
                model.put(version, row);
                lastWritten = version;
                assertThat(VersionedRows.current(rows, version)).isEqualTo(row);
            }
            List<String> versions = new ArrayList<>();
            if (rows != null) {
                assertThat(rows.length).isBetween(1, VersionedRows.MAX_VERSIONS);
                for (SampleState.Parent r : rows) {
                    assertThat(model.get(r.featureVersion())).isEqualTo(r);
                    versions.add(r.featureVersion());
                }
            }
            assertThat(versions).doesNotHaveDuplicates();
            if (lastWritten != null) {
                assertThat(versions).contains(lastWritten);
            }
        }
    }
}
