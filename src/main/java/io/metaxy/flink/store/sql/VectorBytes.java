package io.metaxy.flink.store.sql;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.duckdb.DuckDBReadableVector;

/**
 * The UTF-8 bytes of the VARCHAR values in a DuckDB function's input vector.
 *
 * <p>{@link DuckDBReadableVector#getString} fetches the bytes through JNI and decodes them into a
 * {@code String}, which the hash then encodes back to the same bytes: half of the Java time of a
 * resolve's hash function. duckdb_jdbc has a bytes-only call, package-private, looked up once
 * here; it is still a JNI call and a new array per value, and a resolve hashes three values per
 * sample: with it, the hash function was half of a 1M-sample resolve's time in DuckDB.
 *
 * <p>So a {@link Reader} reads the vector's {@code duckdb_string_t}s itself (DuckDB's C API
 * layout, 16 bytes per row: a 4-byte length, then up to 12 bytes inline, or a 4-byte prefix and a
 * pointer to the bytes) into one reused array. A reader checks the layout before it trusts it:
 * for the first rows it reads, it compares length and prefix with the driver's call and uses the
 * driver's bytes; only when they all agreed does it follow pointers. If the layout ever differed
 * (a driver upgrade), or the driver's internals are not found, every value takes the driver's
 * call, with the same bytes.
 *
 * <pre>{@code
 * VectorBytes.Reader text = VectorBytes.reader(input.vector(0));
 * int length = text.read(row);                 // the value's bytes are text.bytes()[0, length)
 * long hash = HashAlgorithm.xxhash32(text.bytes(), length);
 * }</pre>
 */
final class VectorBytes {
    private static final MethodHandle DATA;
    private static final MethodHandle GET_STRING;
    /** For the pointed-to bytes of values over 12 bytes; null if not available. */
    private static final sun.misc.Unsafe UNSAFE;
    private static final int STRING_T_BYTES = 16;
    private static final int INLINE_BYTES = 12;
    /** Rows of the first readers compared with the driver's call before the layout is trusted. */
    private static final int CHECKED_ROWS = 64;
    /** Rows compared so far (across readers: the layout is the driver's, one per JVM). */
    private static volatile int checked;
    private static volatile boolean layoutDiffers;

    static {
        MethodHandle data = null;
        MethodHandle getString = null;
        try {
            MethodHandles.Lookup vector = MethodHandles.privateLookupIn(DuckDBReadableVector.class, MethodHandles.lookup());
            data = vector.findGetter(DuckDBReadableVector.class, "data", ByteBuffer.class);
            Class<?> bindings = Class.forName("org.duckdb.DuckDBBindings");
            getString = MethodHandles.privateLookupIn(bindings, MethodHandles.lookup()).findStatic(bindings,
                    "duckdb_vector_get_string", MethodType.methodType(byte[].class, ByteBuffer.class, long.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            data = null;
            getString = null;
        }
        DATA = data;
        GET_STRING = getString;
        sun.misc.Unsafe unsafe = null;
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
        }
        UNSAFE = unsafe;
    }

    private VectorBytes() {
    }

    /** Whether the driver's bytes-only path was found (else values are decoded and encoded). */
    static boolean direct() {
        return GET_STRING != null;
    }

    /** Whether readers read the vectors' strings themselves (the layout was checked and agreed). */
    static boolean layoutTrusted() {
        return UNSAFE != null && GET_STRING != null && !layoutDiffers && checked >= CHECKED_ROWS;
    }

    /** A reader of {@code text}'s values, for one chunk (one call of the function). */
    static Reader reader(DuckDBReadableVector text) {
        return new Reader(text);
    }

    /** The values of one VARCHAR vector, each read into the same array. */
    static final class Reader {
        private final DuckDBReadableVector vector;
        private final ByteBuffer data;
        private byte[] bytes = new byte[64];

        private Reader(DuckDBReadableVector vector) {
            this.vector = vector;
            ByteBuffer d = null;
            if (DATA != null) {
                try {
                    d = ((ByteBuffer) DATA.invokeExact(vector)).duplicate().order(ByteOrder.LITTLE_ENDIAN);
                } catch (Throwable e) {
                    d = null;
                }
            }
            // The layout is little-endian x86/ARM; a big-endian platform takes the driver's call.
            this.data = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? d : null;
        }

        /** The array {@link #read} fills; valid until the next read. */
        byte[] bytes() {
            return bytes;
        }

        /** Reads the non-null value at {@code row} into {@link #bytes()}; returns its length. */
        int read(long row) {
            if (data != null && layoutTrusted()) {
                int at = Math.toIntExact(row * STRING_T_BYTES);
                int length = data.getInt(at);
                ensure(length);
                if (length <= INLINE_BYTES) {
                    data.get(at + 4, bytes, 0, length);
                } else {
                    UNSAFE.copyMemory(null, data.getLong(at + 8), bytes, sun.misc.Unsafe.ARRAY_BYTE_BASE_OFFSET, length);
                }
                return length;
            }
            byte[] value = utf8(row);
            if (data != null && !layoutDiffers && checked < CHECKED_ROWS) {
                check(row, value);
            }
            ensure(value.length);
            System.arraycopy(value, 0, bytes, 0, value.length);
            return value.length;
        }

        /** Compares the row's length and inline bytes or prefix with the driver's bytes, without following a pointer. */
        private void check(long row, byte[] value) {
            int at = Math.toIntExact(row * STRING_T_BYTES);
            int length = data.getInt(at);
            int compared = Math.min(value.length, length <= INLINE_BYTES ? INLINE_BYTES : 4);
            byte[] stored = new byte[compared];
            data.get(at + 4, stored, 0, compared);
            if (length != value.length || !Arrays.equals(stored, 0, compared, value, 0, compared)) {
                layoutDiffers = true;
            } else {
                checked++;
            }
        }

        private void ensure(int length) {
            if (bytes.length < length) {
                bytes = new byte[Math.max(length, bytes.length * 2)];
            }
        }

        private byte[] utf8(long row) {
            if (GET_STRING != null) {
                try {
                    ByteBuffer buffer = data != null ? data : (ByteBuffer) DATA.invokeExact(vector);
                    return (byte[]) GET_STRING.invokeExact(buffer, row);
                } catch (Throwable e) {
                    throw new IllegalStateException("duckdb_jdbc's string access failed", e);
                }
            }
            return vector.getString(row).getBytes(StandardCharsets.UTF_8);
        }
    }
}
