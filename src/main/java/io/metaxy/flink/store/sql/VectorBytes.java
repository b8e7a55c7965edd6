package io.metaxy.flink.store.sql;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.duckdb.DuckDBReadableVector;

/**
 * The UTF-8 bytes of a VARCHAR value in a DuckDB function's input vector.
 *
 * <p>{@link DuckDBReadableVector#getString} fetches the bytes through JNI and decodes them into a
 * {@code String}, which the hash then encodes back to the same bytes: half of the Java time of a
 * resolve's hash function. duckdb_jdbc has the bytes-only call but keeps it package-private, so it
 * is looked up once here; if a driver version lacks it, the public path is used (same bytes).
 */
final class VectorBytes {
    private static final MethodHandle DATA;
    private static final MethodHandle GET_STRING;

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
    }

    private VectorBytes() {
    }

    /** Whether the driver's bytes-only path was found (else {@link #utf8} decodes and encodes). */
    static boolean direct() {
        return GET_STRING != null;
    }

    /** The bytes of a non-null VARCHAR at {@code row}. */
    static byte[] utf8(DuckDBReadableVector text, long row) {
        if (GET_STRING != null) {
            try {
                return (byte[]) GET_STRING.invokeExact((ByteBuffer) DATA.invokeExact(text), row);
            } catch (Throwable e) {
                throw new IllegalStateException("duckdb_jdbc's string access failed", e);
            }
        }
        return text.getString(row).getBytes(StandardCharsets.UTF_8);
    }
}
