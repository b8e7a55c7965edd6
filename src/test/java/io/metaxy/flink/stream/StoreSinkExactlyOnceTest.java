package io.metaxy.flink.stream;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** {@link StoreSinkExactlyOnceContract} on DuckDB files. */
class StoreSinkExactlyOnceTest extends StoreSinkExactlyOnceContract {
    @TempDir
    Path dir;
    private final AtomicInteger n = new AtomicInteger();

    @Override
    String newStore() {
        return "duckdb:" + dir.resolve("s" + n.incrementAndGet() + ".duckdb");
    }

    @Override
    boolean severalWriters() {
        return false;
    }
}
