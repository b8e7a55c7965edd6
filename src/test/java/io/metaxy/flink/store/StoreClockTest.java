package io.metaxy.flink.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The JVM-wide stamp clock: no two stamps alike, whichever thread (store) asks. */
class StoreClockTest {

    @Test
    void stampsAreUniqueAndIncreasingAcrossThreads() throws Exception {
        int perThread = 50_000;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<List<Instant>> draw = () -> {
                List<Instant> out = new ArrayList<>(perThread);
                for (int i = 0; i < perThread; i++) {
                    out.add(StoreClock.next());
                }
                return out;
            };
            Future<List<Instant>> first = pool.submit(draw);
            Future<List<Instant>> second = pool.submit(draw);
            Set<Instant> all = new HashSet<>();
            for (List<Instant> stamps : List.of(first.get(), second.get())) {
                assertThat(stamps).isSorted().doesNotHaveDuplicates();
                assertThat(stamps).allMatch(t -> t.getNano() % 1_000 == 0, "whole microseconds");
                all.addAll(stamps);
            }
            // Far more calls than microseconds elapsed: without one shared clock they would collide.
            assertThat(all).hasSize(2 * perThread);
            assertThat(StoreClock.next()).isAfter(first.get().get(perThread - 1)).isAfter(second.get().get(perThread - 1));
        } finally {
            pool.shutdown();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void stampsAreNeverBehindTheWallClock() {
        Instant before = Instant.now().minusNanos(1_000);
        assertThat(StoreClock.next()).isAfterOrEqualTo(before);
    }
}
