package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every record between operators is a Flink POJO: serialized field by field, never by Kryo. */
class RecordTypesTest {
    @ParameterizedTest
    @ValueSource(classes = {RawRecord.class, StampedRow.class, RoutedEvent.class, IncrementRecord.class, DeadLetter.class})
    void isPojo(Class<?> type) {
        assertThat(TypeInformation.of(type)).isInstanceOf(PojoTypeInfo.class);
    }
}
