package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * The store sink's exactly-once contract while DuckDB's checkpoint makes appends wait
 * ({@link StoreSinkWriter}, "Around DuckDB's own checkpoint"): under any schedule of such windows,
 * checkpoint barriers (flush, then the writer's state serialized as Flink keeps it) and one
 * failure (the writer dropped uncommitted, a new one restored from the last checkpoint's state,
 * the source replaying from that checkpoint's position), the store ends with the rows of one
 * clean pass, each once.
 */
class StoreSinkDeferralProperties {
    private final Path dir;
    private int stores;

    StoreSinkDeferralProperties() throws Exception {
        dir = Files.createTempDirectory("deferral");
    }

    private String newStore() {
        return "duckdb:" + dir.resolve("s" + (++stores) + ".duckdb");
    }

    @AfterProperty
    void cleanUp() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Per record: bit 0 toggles the wait window before it, bit 1 takes a checkpoint before it. */
    @Property(tries = 30)
    void eachRowOnceWhateverTheWindowsBarriersAndFailure(@ForAll @Size(min = 8, max = 40) List<@IntRange(min = 0, max = 3) Integer> schedule,
            @ForAll @IntRange(min = 0, max = 40) int failAt) throws Exception {
        List<StampedRow> rows = StoreSinkExactlyOnceContract.traffic(0, schedule.size());
        String url = newStore();
        AtomicBoolean waits = new AtomicBoolean();
        StoreSinkWriter w = writer(url, waits, List.of());
        int checkpointOffset = 0;
        List<StoreSinkState> checkpointState = List.of();
        boolean failed = false;
        int deferredBarriers = 0;
        for (int i = 0; i < rows.size(); i++) {
            int step = schedule.get(i);
            if ((step & 1) != 0) {
                waits.set(!waits.get());
            }
            if ((step & 2) != 0) {
                w.flush(false);
                List<StoreSinkState> state = roundTrip(w.snapshotState(i));
                if (waits.get() && i > checkpointOffset) {
                    // rows came since the last commit and the barrier found appends waiting: they are the state
                    assertThat(state).isNotEmpty();
                }
                if (!state.isEmpty()) {
                    deferredBarriers++;
                }
                checkpointOffset = i;
                checkpointState = state;
            }
            if (!failed && i == failAt) {
                // The task fails: its uncommitted transaction is rolled back; the job restarts from the last checkpoint.
                w.close();
                failed = true;
                waits.set(false);
                w = writer(url, waits, checkpointState);
                i = checkpointOffset - 1;
                continue;
            }
            w.write(rows.get(i), null);
        }
        waits.set(false);
        w.flush(true);
        w.close();
        assertThat(w.commitsDeferred() > 0 || deferredBarriers == 0 || failed).isTrue();
        assertThat(StoreSinkExactlyOnceContract.contents(url)).isEqualTo(StoreSinkExactlyOnceContract.cleanPass(newStore(), rows));
    }

    private static StoreSinkWriter writer(String url, AtomicBoolean waits, List<StoreSinkState> restored) {
        StoreSinkWriter w = StoreSinkExactlyOnceContract.writer(url, 0);
        w.appendsWaitWhile(waits::get);
        w.restore(restored);
        return w;
    }

    /** The state as a restore gets it: through the sink's serializer. */
    private static List<StoreSinkState> roundTrip(List<StoreSinkState> states) throws Exception {
        List<StoreSinkState> out = new ArrayList<>();
        for (StoreSinkState s : states) {
            byte[] bytes = StoreSinkState.SERIALIZER.serialize(s);
            out.add(StoreSinkState.SERIALIZER.deserialize(StoreSinkState.SERIALIZER.getVersion(), bytes));
        }
        return out;
    }

}
