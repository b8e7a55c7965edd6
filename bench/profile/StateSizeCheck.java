import io.metaxy.flink.stream.SampleKey;
import io.metaxy.flink.stream.operator.SampleState;
import io.metaxy.flink.stream.operator.SampleStateSerializer;
import io.metaxy.flink.versioning.SampleHasher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteOptions;
// Bytes on disk per sample of metaxy-sample, the simple graph's answered state, without a job:
// the RocksDB key as Flink's keyed state lays it out (key group, SampleKey, VoidNamespace byte)
// and the SampleStateSerializer value, written into RocksDB with the job's table settings
// (Snappy, Flink's default 4 KB blocks, the bloom filter the job turns on) and compacted.
// Compares with the harness's state.bytes_per_sample_parent (bench/jmh-state.md):
//   java -cp target/metaxy-flink.jar bench/profile/StateSizeCheck.java [samples]
public class StateSizeCheck {
    public static void main(String[] a) throws Exception {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 200_000;
        SampleHasher h = SampleHasher.DEFAULT;
        String parentVersion = h.hash("bench/video");
        String leafVersion = h.hash("bench/leaf");
        Path dir = Files.createTempDirectory("state-size");
        RocksDB.loadLibrary();
        long keyBytes = 0;
        long valueBytes = 0;
        BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockSize(4096).setFilterPolicy(new BloomFilter(10, false));
        try (Options o = new Options().setCreateIfMissing(true).setCompressionType(CompressionType.SNAPPY_COMPRESSION)
                .setTableFormatConfig(table); RocksDB db = RocksDB.open(o, dir.toString()); WriteOptions w = new WriteOptions()) {
            DataOutputSerializer k = new DataOutputSerializer(64);
            DataOutputSerializer v = new DataOutputSerializer(128);
            for (int i = 0; i < n; i++) {
                SampleKey key = new SampleKey("bench/leaf", "{\"sample_uid\":" + i + "}");
                // The harness's root rows: audio a<i>, frames f<i>; the leaf answered with a hash.
                SampleState s = new SampleState(1);
                s.parents[0] = new SampleState.Parent[] {new SampleState.Parent(parentVersion,
                        new String[] {"a" + i, "f" + i}, "{}".getBytes(StandardCharsets.UTF_8))};
                s.own = new SampleState.Parent[] {SampleState.ownRow(leafVersion, h.hash("leaf" + i))};
                k.clear();
                k.writeByte(KeyGroupRangeAssignment.assignToKeyGroup(key, 128));
                SampleKey.Serializer.INSTANCE.serialize(key, k);
                k.writeByte(0);
                v.clear();
                SampleStateSerializer.INSTANCE.serialize(s, v);
                keyBytes += k.length();
                valueBytes += v.length();
                db.put(w, k.getCopyOfBuffer(), v.getCopyOfBuffer());
            }
            db.flush(new org.rocksdb.FlushOptions().setWaitForFlush(true));
            db.compactRange();
        }
        long sst;
        try (Stream<Path> files = Files.list(dir)) {
            sst = files.filter(p -> p.toString().endsWith(".sst")).mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.printf("%d samples: key %.1f B + value %.1f B raw; SST files %d B = %.1f B per sample%n", n,
                (double) keyBytes / n, (double) valueBytes / n, sst, (double) sst / n);
    }
}
