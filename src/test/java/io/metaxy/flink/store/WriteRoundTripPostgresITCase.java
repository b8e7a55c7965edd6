package io.metaxy.flink.store;

import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link WriteRoundTripProperties} on a real PostgreSQL server ({@link PostgresServer}), a fresh
 * database per try: {@code write} goes through {@code COPY}, whose text format escapes tabs,
 * newlines and backslashes, and by-field versions travel as JSONB.
 */
class WriteRoundTripPostgresITCase {
    @Property(tries = 15)
    void whatIsWrittenIsRead(@ForAll("rows") List<MetadataRow> rows) {
        WriteRoundTripProperties.check(PostgresServer.get().newDatabase(), rows);
    }

    @Provide
    Arbitrary<List<MetadataRow>> rows() {
        return new WriteRoundTripProperties().rows();
    }
}
