package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StoreCredentialsTest {
    @Test
    void putsThePasswordIntoTheUrlEncoded() {
        assertThat(StoreCredentials.withPassword("postgresql://metaxy@db:5432/m", "p@ss w:rd"))
                .isEqualTo("postgresql://metaxy:p%40ss%20w%3Ard@db:5432/m");
        assertThat(StoreCredentials.withPassword("jdbc:postgresql://db/m?user=u", "s")).isEqualTo("jdbc:postgresql://db/m?user=u&password=s");
        assertThat(StoreCredentials.withPassword("postgresql://u:own@db/m", "s")).isEqualTo("postgresql://u:own@db/m");
        assertThat(StoreCredentials.withPassword("duckdb:x.duckdb", null)).isEqualTo("duckdb:x.duckdb");
    }

    @Test
    void refusesWhatCannotCarryIt() {
        assertThatThrownBy(() -> StoreCredentials.withPassword("duckdb:x.duckdb", "s")).hasMessageContaining("PostgreSQL");
        assertThatThrownBy(() -> StoreCredentials.withPassword("postgresql://db/m", "s")).hasMessageContaining("user");
    }
}
