package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every record between operators is a Flink POJO or has its own serializer: serialized field by
 * field, never by Kryo.
 */
class RecordTypesTest {
    @ParameterizedTest
    @ValueSource(classes = {RawRecord.class, RoutedEvent.class, IncrementRecord.class, DeadLetter.class})
    void isPojo(Class<?> type) {
        assertThat(TypeInformation.of(type)).isInstanceOf(PojoTypeInfo.class);
    }

    /** Its typed ids and columns are no POJO fields: what Flink infers for it is its own serializer. */
    @Test
    void stampedRowInfersItsOwnSerializer() {
        assertThat(TypeInformation.of(StampedRow.class)).isSameAs(StampedRow.TYPE);
        assertThat(TypeInformation.of(StampedRow.class).createSerializer(new SerializerConfigImpl()))
                .isInstanceOf(StampedRow.Serializer.class);
    }
}
