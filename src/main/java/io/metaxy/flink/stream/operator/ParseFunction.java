package io.metaxy.flink.stream.operator;

import io.metaxy.flink.stream.DeadLetter;
import io.metaxy.flink.stream.InvalidRecordException;
import io.metaxy.flink.stream.RawRecord;
import io.metaxy.flink.stream.RowParser;
import io.metaxy.flink.stream.StampedRow;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Parses, validates and stamps feature records; refused records leave through
 * {@link #DEAD_LETTERS} so bad input never fails the job.
 */
public final class ParseFunction extends ProcessFunction<RawRecord, StampedRow> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};
    private static final int PREVIEW_CHARS = 1024;

    private final RowParser parser;
    private transient Counter recordsIn;
    private transient Counter deadLetters;

    public ParseFunction(RowParser parser) {
        this.parser = parser;
    }

    @Override
    public void open(OpenContext context) {
        recordsIn = getRuntimeContext().getMetricGroup().counter("metaxyRecordsIn");
        deadLetters = getRuntimeContext().getMetricGroup().counter("metaxyDeadLetters");
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<StampedRow> out) {
        recordsIn.inc();
        try {
            out.collect(parser.parse(raw));
        } catch (InvalidRecordException e) {
            deadLetters.inc();
            ctx.output(DEAD_LETTERS, deadLetter(raw, e.feature(), e.getMessage()));
        } catch (RuntimeException e) {
            // Anything unforeseen in one record is still that record's problem, not the job's.
            deadLetters.inc();
            ctx.output(DEAD_LETTERS, deadLetter(raw, null, "unexpected error: " + e));
        }
    }

    static DeadLetter deadLetter(RawRecord raw, String feature, String reason) {
        DeadLetter d = new DeadLetter();
        d.reason = reason;
        d.feature = feature;
        d.topic = raw.topic;
        d.partition = raw.partition;
        d.offset = raw.offset;
        d.key = raw.key;
        if (raw.value != null) {
            String text = new String(raw.value, 0, Math.min(raw.value.length, PREVIEW_CHARS * 4), StandardCharsets.UTF_8);
            d.valuePreview = text.length() > PREVIEW_CHARS ? text.substring(0, PREVIEW_CHARS) : text;
        }
        return d;
    }
}
