import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.stream.*;
import java.nio.file.Path;
// RowParser.parse time per record on the simple graph's root rows (key + value), one thread, warm.
// Run against a built jar (a copy of another commit's jar for before/after):
//   java -cp target/metaxy-flink.jar bench/profile/ParseBench.java bench/graphs/simple.yaml
public class ParseBench {
    public static void main(String[] a) throws Exception {
        StreamPlan plan = StreamPlan.of(GraphReader.read(Path.of(a[0])));
        RowParser p = new RowParser(plan, RowParser.DEFAULT_MAX_VALUE_BYTES);
        int n = 200_000;
        RawRecord[] recs = new RawRecord[n];
        for (int i = 0; i < n; i++) {
            recs[i] = RawRecord.of("metaxy.bench__video", 0, i, "{\"sample_uid\":" + i + "}",
                "{\"sample_uid\":" + i + ",\"metaxy_provenance_by_field\":{\"audio\":\"a_" + i + "\",\"frames\":\"f_" + i + "\"}}");
        }
        long sink = 0;
        for (int round = 0; round < 8; round++) {
            long t0 = System.nanoTime();
            for (RawRecord r : recs) sink += p.parse(r).idsJson.length();
            long t1 = System.nanoTime();
            if (round >= 3) System.out.printf("round %d: %.2f us/record%n", round, (t1 - t0) / 1e3 / n);
        }
        System.out.println(sink);
    }
}
