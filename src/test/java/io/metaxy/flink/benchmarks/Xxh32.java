package io.metaxy.flink.benchmarks;

import java.nio.charset.StandardCharsets;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * The hashing UDF of the Flink SQL baseline: xxhash32 (seed 0) of the UTF-8 bytes, rendered as the
 * unsigned decimal string truncated to 8 characters — the product's default H (docs/design.md §2).
 */
public class Xxh32 extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    private transient XXHash32 hash;

    public String eval(String s) {
        if (s == null) {
            return null;
        }
        if (hash == null) {
            hash = XXHashFactory.fastestInstance().hash32();
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        String d = Long.toString(hash.hash(b, 0, b.length, 0) & 0xffffffffL);
        return d.length() > 8 ? d.substring(0, 8) : d;
    }
}
