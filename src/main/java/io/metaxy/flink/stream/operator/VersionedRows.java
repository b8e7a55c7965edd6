package io.metaxy.flink.stream.operator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The rows one state slot keeps for a sample: the latest row of each of at most two feature
 * versions, the most recently written first. A slot is a parent of the sample, the feature's
 * own record, an N:1 group member or a 1:N child.
 *
 * <p>Why two: the store keeps every version's rows and counts those of the version that is
 * current when it is asked. The stream must do the same across a redeploy, including the
 * rolling one where workers on new code write rows of the next version before the job is
 * redeployed, and a rollback to the previous version. Two versions cover both; a third version
 * written before a redeploy evicts the oldest row that is not of the version current now (a row
 * of the current version is never evicted), which is then lost to later redeploys.
 *
 * <pre>{@code
 * Parent[] rows = VersionedRows.put(null, new Parent("34d75856", dv, null), "34d75856");
 * Parent current = VersionedRows.current(rows, "34d75856");
 * }</pre>
 */
public final class VersionedRows {
    public static final int MAX_VERSIONS = 2;

    private VersionedRows() {}

    /** The row of {@code featureVersion}, or null. */
    public static SampleState.Parent current(SampleState.Parent[] rows, String featureVersion) {
        if (rows != null) {
            for (SampleState.Parent row : rows) {
                if (row.featureVersion().equals(featureVersion)) {
                    return row;
                }
            }
        }
        return null;
    }

    /**
     * {@code rows} with {@code row} as the latest of its version, placed first; {@code current}
     * is the feature version the job counts now, whose row is never evicted.
     */
    public static SampleState.Parent[] put(SampleState.Parent[] rows, SampleState.Parent row, String current) {
        List<SampleState.Parent> kept = new ArrayList<>(MAX_VERSIONS);
        kept.add(row);
        if (rows != null) {
            for (SampleState.Parent r : rows) {
                if (!r.featureVersion().equals(row.featureVersion())) {
                    kept.add(r);
                }
            }
        }
        for (int i = kept.size() - 1; kept.size() > MAX_VERSIONS && i > 0; i--) {
            if (!kept.get(i).featureVersion().equals(current)) {
                kept.remove(i);
            }
        }
        return kept.toArray(new SampleState.Parent[0]);
    }

    /** {@code rows} without the row of {@code featureVersion} (a soft delete); null when none is left. */
    public static SampleState.Parent[] remove(SampleState.Parent[] rows, String featureVersion) {
        if (current(rows, featureVersion) == null) {
            return rows;
        }
        SampleState.Parent[] kept = Arrays.stream(rows).filter(r -> !r.featureVersion().equals(featureVersion))
                .toArray(SampleState.Parent[]::new);
        return kept.length == 0 ? null : kept;
    }
}
