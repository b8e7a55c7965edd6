package io.metaxy.flink.store;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * The recorded Metaxy runs of {@link StoreConformanceTest} replayed on a real PostgreSQL server
 * (see {@link PostgresServer}): {@code resolveUpdate} must return exactly the recorded provenance.
 */
class PostgresStoreConformanceITCase {
    @Test
    void recordedCasesResolveToRecordedProvenanceOnPostgres() {
        for (JsonNode testCase : StoreConformanceTest.cases()) {
            StoreConformanceTest.check(testCase, PostgresServer.get().newDatabase());
        }
    }
}
