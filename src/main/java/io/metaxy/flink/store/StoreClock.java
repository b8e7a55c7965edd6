package io.metaxy.flink.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clock behind the {@code metaxy_updated_at} (and soft-delete) stamps of every store in this
 * JVM: microseconds (what TIMESTAMPTZ keeps), never behind the wall clock, and strictly
 * increasing across all stores and threads, so that of two appends to the same sample the later
 * one always sorts later on read, even when two stores share one DuckDB file or database. Stamps
 * from other processes, or supplied by the writer, can still tie; reads then break the tie
 * deterministically (see docs/metadata-store.md).
 *
 * <pre>{@code
 * Instant stamp = StoreClock.next();   // later than every stamp this JVM handed out before
 * }</pre>
 */
public final class StoreClock {
    private static final AtomicLong LAST_MICROS = new AtomicLong(Long.MIN_VALUE);

    private StoreClock() {}

    /**
     * Makes every later stamp come after {@code instant}: a writer that keeps a stamp from the
     * future (a soft delete dated ahead) must not see later rows sort before it.
     */
    public static void notBefore(Instant instant) {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, instant);
        LAST_MICROS.accumulateAndGet(micros, Math::max);
    }

    /** A stamp later than every earlier one of this JVM: the wall clock, or one microsecond past the last stamp. */
    public static Instant next() {
        return Instant.EPOCH.plus(nextMicros(), ChronoUnit.MICROS);
    }

    /** {@link #next()} in microseconds since the epoch, without the Instant (the store sink stamps every row). */
    public static long nextMicros() {
        long wall = micros(Instant.now());
        return LAST_MICROS.accumulateAndGet(wall, (last, n) -> Math.max(n, last + 1));
    }

    /** {@code instant} in microseconds since the epoch, as the stores' timestamps hold it. */
    public static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
    }
}
