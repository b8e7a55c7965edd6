package io.metaxy.flink.stream.bootstrap;

import io.metaxy.flink.stream.RawRecord;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * The Kafka source's watermarks in a bootstrapped job: always {@code Long.MAX_VALUE}. Nothing in
 * the job uses event time; the watermark only carries "the seed source has ended" to the increment
 * operator, whose input watermark is the minimum over its inputs and so becomes MAX exactly when
 * the bounded seed source finishes (an idle Kafka split does not hold it back either).
 *
 * <pre>{@code
 * env.fromSource(kafkaSource, MaxWatermark.strategy(), "feature topics");
 * }</pre>
 */
public final class MaxWatermark implements WatermarkGenerator<RawRecord> {
    private MaxWatermark() {}

    public static WatermarkStrategy<RawRecord> strategy() {
        return context -> new MaxWatermark();
    }

    @Override
    public void onEvent(RawRecord event, long eventTimestamp, WatermarkOutput output) {
        // Periodic emission suffices; nothing per record on the hot path.
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        output.emitWatermark(new Watermark(Long.MAX_VALUE));
    }
}
