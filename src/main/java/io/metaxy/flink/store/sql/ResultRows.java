package io.metaxy.flink.store.sql;

import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStoreException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * The rows of an open query, mapped as the iterator advances ({@link MetadataStore#readRows}):
 * nothing beyond the driver's fetch buffer is held, whatever the table's size.
 */
final class ResultRows implements MetadataStore.Rows {
    static final MetadataStore.Rows EMPTY = new ResultRows(null, null, null, null, () -> { });

    interface RowMapper {
        MetadataRow map(ResultSet rs) throws SQLException;
    }

    private final PreparedStatement statement;
    private final ResultSet rs;
    private final RowMapper mapper;
    private final Function<SQLException, MetadataStoreException> failure;
    private final Runnable end;
    private Boolean ahead;
    private boolean closed;

    /** {@code end} runs once when the rows are closed (or run out): it ends the read's transaction, if any. */
    ResultRows(PreparedStatement statement, ResultSet rs, RowMapper mapper,
            Function<SQLException, MetadataStoreException> failure, Runnable end) {
        this.end = end;
        this.statement = statement;
        this.rs = rs;
        this.mapper = mapper;
        this.failure = failure;
        this.ahead = rs == null ? Boolean.FALSE : null;
    }

    @Override
    public boolean hasNext() {
        if (ahead == null) {
            try {
                ahead = rs.next();
            } catch (SQLException e) {
                throw failure.apply(e);
            }
            if (!ahead) {
                close();
            }
        }
        return ahead;
    }

    @Override
    public MetadataRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ahead = null;
        try {
            return mapper.map(rs);
        } catch (SQLException e) {
            throw failure.apply(e);
        }
    }

    @Override
    public void close() {
        if (statement == null || closed) {
            return;
        }
        closed = true;
        try {
            rs.close();
            statement.close();
        } catch (SQLException e) {
            throw failure.apply(e);
        } finally {
            end.run();
        }
    }
}
