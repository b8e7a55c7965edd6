package io.metaxy.flink.stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.store.SystemColumns;
import java.io.IOException;
import java.io.Serializable;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Parses a {@link RawRecord} of a feature topic, validates it against the {@link StreamPlan} and
 * stamps its system columns. Every refusal is an {@link InvalidRecordException} whose message
 * names the feature, the column and the problem.
 *
 * <pre>{@code
 * RowParser parser = new RowParser(plan, RowParser.DEFAULT_MAX_VALUE_BYTES);
 * StampedRow row = parser.parse(RawRecord.of("metaxy.example__video", 0, 0,
 *         "{\"sample_uid\":1}", "{\"path\":\"a.mp4\",\"metaxy_provenance_by_field\":{\"audio\":\"a1\",\"frames\":\"f1\"}}"));
 * }</pre>
 */
public final class RowParser implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Larger values are refused: metadata rows are small, payloads belong in object storage. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 256 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();
    /** Created once: a value's parse starts from the tree deserializer it already holds. */
    private static final ObjectReader TREE = JSON.readerFor(JsonNode.class);
    private static final Set<String> WRITABLE_SYSTEM = Set.of(SystemColumns.PROVENANCE_BY_FIELD, SystemColumns.PROVENANCE,
            SystemColumns.DATA_VERSION_BY_FIELD, SystemColumns.DATA_VERSION, SystemColumns.FEATURE_VERSION,
            SystemColumns.CREATED_AT, SystemColumns.UPDATED_AT, SystemColumns.DELETED_AT, SystemColumns.MATERIALIZATION_ID,
            SystemColumns.PROJECT_VERSION, SystemColumns.DEFINITION_VERSION);

    private final StreamPlan plan;
    private final int maxValueBytes;

    public RowParser(StreamPlan plan, int maxValueBytes) {
        this.plan = plan;
        this.maxValueBytes = maxValueBytes;
    }

    public StampedRow parse(RawRecord raw) throws InvalidRecordException {
        StreamPlan.Feature f = plan.featureOfTopic(raw.topic);
        if (f == null) {
            throw new InvalidRecordException(null, "topic '" + raw.topic + "' is not the metadata topic of any feature");
        }
        String where = "feature '" + f.key + "'";
        if (raw.value != null && raw.value.length > maxValueBytes) {
            throw new InvalidRecordException(f.key, where + ": value of " + raw.value.length + " bytes exceeds the limit of "
                    + maxValueBytes + " bytes");
        }
        if (raw.key != null && raw.key.length > maxValueBytes) {
            throw new InvalidRecordException(f.key, where + ": key of " + raw.key.length + " bytes exceeds the limit");
        }
        JsonNode key = raw.key == null ? null : readKey(f, raw.key);
        StampedRow row = new StampedRow();
        row.feature = f.key;
        row.topic = raw.topic;
        row.partition = raw.partition;
        row.offset = raw.offset;
        row.seed = raw.seed;
        row.createdAt = raw.timestamp;
        row.updatedAt = raw.timestamp;
        if (raw.value == null) {
            if (key == null) {
                throw new InvalidRecordException(f.key, where + ": a tombstone (null value) needs the sample ids as its key");
            }
            setIds(row, f, key, "key");
            row.op = RowOp.HARD_DELETE;
            row.featureVersion = f.featureVersion;
            return row;
        }
        JsonNode value = readObject(f, "value", raw.value);
        JsonNode idSource = key;
        if (key == null) {
            idSource = value;
        } else {
            for (String id : f.idColumns) {
                if (value.has(id) && !value.get(id).equals(key.get(id))) {
                    throw new InvalidRecordException(f.key, where + ": id column '" + id + "' is " + value.get(id)
                            + " in the value but " + key.get(id) + " in the key");
                }
            }
        }
        setIds(row, f, idSource, key == null ? "value" : "key");

        ObjectNode columns = JSON.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> it = value.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (f.idColumns.contains(name)) {
                continue;
            }
            if (SystemColumns.isSystem(name)) {
                if (!WRITABLE_SYSTEM.contains(name)) {
                    throw new InvalidRecordException(f.key, where + ": unknown system column '" + name + "' (known: "
                            + new java.util.TreeSet<>(WRITABLE_SYSTEM) + ")");
                }
                continue;
            }
            columns.set(name, e.getValue());
        }
        row.columns(RowValues.ofObject(columns));

        row.featureVersion = optionalText(f, value, SystemColumns.FEATURE_VERSION);
        if (row.featureVersion == null) {
            row.featureVersion = f.featureVersion;
        }
        row.materializationId = optionalText(f, value, SystemColumns.MATERIALIZATION_ID);
        row.projectVersion = optionalText(f, value, SystemColumns.PROJECT_VERSION);
        row.definitionVersion = optionalText(f, value, SystemColumns.DEFINITION_VERSION);
        Long created = optionalInstant(f, value, SystemColumns.CREATED_AT);
        Long updated = optionalInstant(f, value, SystemColumns.UPDATED_AT);
        row.createdAt = created != null ? created : raw.timestamp;
        row.updatedAt = updated != null ? updated : raw.timestamp;
        row.deletedAt = optionalInstant(f, value, SystemColumns.DELETED_AT);
        row.op = row.deletedAt == null ? RowOp.UPSERT : RowOp.SOFT_DELETE;
        if (row.op == RowOp.UPSERT) {
            requireGroupColumns(f, idSource, columns);
        }

        row.provenanceByField = byField(f, value, SystemColumns.PROVENANCE_BY_FIELD);
        if (row.provenanceByField == null) {
            if (row.op == RowOp.UPSERT) {
                throw new InvalidRecordException(f.key, where + ": column '" + SystemColumns.PROVENANCE_BY_FIELD
                        + "' is missing (" + (f.isRoot() ? "a root row carries its own provenance"
                        : "a write-back carries the provenance of the increment it answers") + ")");
            }
            return row;
        }
        String provenance = f.calculator.provenance(row.provenanceByField);
        String given = optionalText(f, value, SystemColumns.PROVENANCE);
        if (given != null && !given.equals(provenance)) {
            throw new InvalidRecordException(f.key, where + ": column '" + SystemColumns.PROVENANCE + "' is '" + given
                    + "' but metaxy_provenance_by_field hashes to '" + provenance + "'");
        }
        row.provenance = provenance;
        String[] dataVersions = byField(f, value, SystemColumns.DATA_VERSION_BY_FIELD);
        row.dataVersionByField = dataVersions != null ? dataVersions : row.provenanceByField;
        row.dataVersion = dataVersions != null ? f.calculator.provenance(dataVersions) : provenance;
        String givenDataVersion = optionalText(f, value, SystemColumns.DATA_VERSION);
        if (givenDataVersion != null && !givenDataVersion.equals(row.dataVersion)) {
            throw new InvalidRecordException(f.key, where + ": column '" + SystemColumns.DATA_VERSION + "' is '"
                    + givenDataVersion + "' but the data version by field hashes to '" + row.dataVersion + "'");
        }
        return row;
    }

    /**
     * The key's object, read with the streaming parser: a key is a few id columns, strings or
     * integers, so it takes neither a data-binding context nor a tree deserializer. Any other
     * key (a nested value, a float, null, not an object, not JSON) is read as a tree by
     * {@link #readObject}, so what it is refused for, and how, stays as it was.
     */
    private static JsonNode readKey(StreamPlan.Feature f, byte[] bytes) throws InvalidRecordException {
        ObjectNode key = JSON.createObjectNode();
        try (JsonParser p = FACTORY.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return readObject(f, "key", bytes);
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) {
                    return readObject(f, "key", bytes);
                }
                String name = p.currentName();
                t = p.nextToken();
                if (t == JsonToken.VALUE_STRING) {
                    key.put(name, p.getText());
                } else if (t == JsonToken.VALUE_NUMBER_INT) {
                    // The node types a tree read gives, so the key/value id comparison is unchanged.
                    switch (p.getNumberType()) {
                        case INT -> key.put(name, p.getIntValue());
                        case LONG -> key.put(name, p.getLongValue());
                        default -> key.put(name, p.getBigIntegerValue());
                    }
                } else {
                    return readObject(f, "key", bytes);
                }
            }
        } catch (IOException | RuntimeException e) {
            return readObject(f, "key", bytes);
        }
        return key;
    }

    private static JsonNode readObject(StreamPlan.Feature f, String part, byte[] bytes) throws InvalidRecordException {
        JsonNode node;
        try {
            node = TREE.readTree(bytes);
        } catch (IOException e) {
            throw new InvalidRecordException(f.key, "feature '" + f.key + "': " + part + " is not JSON: "
                    + firstLine(e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        } catch (RuntimeException e) {
            throw new InvalidRecordException(f.key, "feature '" + f.key + "': " + part + " is not JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new InvalidRecordException(f.key, "feature '" + f.key + "': " + part + " must be a JSON object, got "
                    + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
        }
        return node;
    }

    private static void setIds(StampedRow row, StreamPlan.Feature f, JsonNode source, String part) throws InvalidRecordException {
        for (String id : f.idColumns) {
            JsonNode v = source.get(id);
            if (v == null || v.isNull()) {
                throw new InvalidRecordException(f.key, "feature '" + f.key + "': id column '" + id + "' is missing from the "
                        + part + " (id columns: " + f.idColumns + ")");
            }
            if (!(v.isTextual() || v.isIntegralNumber())) {
                throw new InvalidRecordException(f.key, "feature '" + f.key + "': id column '" + id + "' must be a string or an"
                        + " integer, got " + v.getNodeType().toString().toLowerCase());
            }
        }
        if (part.equals("key")) {
            Iterator<String> names = source.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                if (!f.idColumns.contains(name)) {
                    throw new InvalidRecordException(f.key, "feature '" + f.key + "': key has unknown column '" + name
                            + "' (id columns: " + f.idColumns + ")");
                }
            }
        }
        // Typed in sorted column order; the JSON is rendered from them (what canonical() gives
        // for an object of them, without a tree, a sort or a generator per record).
        String[] names = new String[f.sortedIdColumns.size()];
        Object[] values = new Object[names.length];
        int i = 0;
        for (String id : f.sortedIdColumns) {
            names[i] = id;
            values[i++] = RowValues.valueOf(source.get(id));
        }
        RowValues ids = RowValues.of(names, values);
        row.ids(ids, ids.toJson());
    }

    /** A written row names its groups: each group column present, a string or an integer. */
    private static void requireGroupColumns(StreamPlan.Feature f, JsonNode ids, JsonNode columns) throws InvalidRecordException {
        for (String column : f.groupColumns) {
            JsonNode v = f.idColumns.contains(column) ? ids.get(column) : columns.get(column);
            if (v == null || v.isNull()) {
                throw new InvalidRecordException(f.key, "feature '" + f.key + "': column '" + column + "' is "
                        + (v == null ? "missing" : "null") + " (a 1:N or N:1 lineage groups this feature's rows by it)");
            }
            if (!(v.isTextual() || v.isIntegralNumber())) {
                throw new InvalidRecordException(f.key, "feature '" + f.key + "': column '" + column + "' must be a string or an"
                        + " integer (a 1:N or N:1 lineage groups this feature's rows by it), got "
                        + v.getNodeType().toString().toLowerCase());
            }
        }
    }

    /**
     * The canonical ids JSON of a group: for each of {@code sourceColumns} (looked up in the ids,
     * then in the user columns) its value, named as {@code names}. Null when one is absent (a
     * delete carries only ids).
     */
    public static String groupIds(String idsJson, String columnsJson, List<String> sourceColumns, List<String> names) {
        try {
            JsonNode ids = JSON.readTree(idsJson);
            JsonNode columns = columnsJson == null ? null : JSON.readTree(columnsJson);
            ObjectNode out = JSON.createObjectNode();
            for (int i = 0; i < sourceColumns.size(); i++) {
                JsonNode v = ids.get(sourceColumns.get(i));
                if (v == null && columns != null) {
                    v = columns.get(sourceColumns.get(i));
                }
                if (v == null || v.isNull()) {
                    return null;
                }
                out.set(names.get(i), v);
            }
            return canonical(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] byField(StreamPlan.Feature f, JsonNode value, String column) throws InvalidRecordException {
        JsonNode node = value.get(column);
        if (node == null || node.isNull()) {
            return null;
        }
        String where = "feature '" + f.key + "': column '" + column + "'";
        if (!node.isObject()) {
            throw new InvalidRecordException(f.key, where + " must be an object of field → string, got "
                    + node.getNodeType().toString().toLowerCase());
        }
        String[] out = new String[f.fields.size()];
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int i = f.fieldIndex(e.getKey());
            if (i < 0) {
                throw new InvalidRecordException(f.key, where + " has unknown field '" + e.getKey() + "' (fields: " + f.fields + ")");
            }
            if (!e.getValue().isTextual() || e.getValue().textValue().isEmpty()) {
                throw new InvalidRecordException(f.key, where + " field '" + e.getKey() + "' must be a non-empty string, got "
                        + e.getValue().getNodeType().toString().toLowerCase());
            }
            out[i] = e.getValue().textValue();
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                throw new InvalidRecordException(f.key, where + " lacks field '" + f.fields.get(i) + "'");
            }
        }
        return out;
    }

    private static String optionalText(StreamPlan.Feature f, JsonNode value, String column) throws InvalidRecordException {
        JsonNode node = value.get(column);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new InvalidRecordException(f.key, "feature '" + f.key + "': column '" + column + "' must be a string, got "
                    + node.getNodeType().toString().toLowerCase());
        }
        return node.textValue();
    }

    private static Long optionalInstant(StreamPlan.Feature f, JsonNode value, String column) throws InvalidRecordException {
        JsonNode node = value.get(column);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isTextual()) {
            try {
                return Instant.parse(node.textValue()).toEpochMilli();
            } catch (DateTimeParseException e) {
                // fall through to the error below
            }
        }
        throw new InvalidRecordException(f.key, "feature '" + f.key + "': column '" + column
                + "' must be an ISO-8601 instant or epoch milliseconds, got " + node);
    }

    /** Compact JSON with object keys sorted: equal content, equal text (record keys, ids). */
    public static String canonical(JsonNode node) {
        StringWriter out = new StringWriter();
        try (JsonGenerator gen = FACTORY.createGenerator(out)) {
            writeSorted(gen, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Parses and re-renders an id object canonically, renaming columns (a 1:1 dep's rename). */
    public static String renameIds(String idsJson, Map<String, String> rename) {
        if (rename.isEmpty()) {
            return idsJson;
        }
        try {
            JsonNode ids = JSON.readTree(idsJson);
            ObjectNode out = JSON.createObjectNode();
            ids.fields().forEachRemaining(e -> out.set(rename.getOrDefault(e.getKey(), e.getKey()), e.getValue()));
            return canonical(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The canonical ids JSON of {@code columns} taken from an id object after renaming (N:1 group keys). */
    public static String projectIds(String idsJson, Map<String, String> rename, List<String> columns) {
        try {
            JsonNode ids = JSON.readTree(idsJson);
            ObjectNode out = JSON.createObjectNode();
            ids.fields().forEachRemaining(e -> {
                String name = rename.getOrDefault(e.getKey(), e.getKey());
                if (columns.contains(name)) {
                    out.set(name, e.getValue());
                }
            });
            return canonical(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A parent row as its child's dep filters see it: ids and user columns, under the dep's
     * rename; JSON numbers as Long or Double, text, booleans, null.
     */
    public static Map<String, Object> renamedRow(String idsJson, String columnsJson, Map<String, String> rename) {
        Map<String, Object> out = new java.util.HashMap<>();
        try {
            for (String json : new String[] {columnsJson, idsJson}) {
                if (json == null) {
                    continue;
                }
                JSON.readTree(json).fields().forEachRemaining(e -> {
                    JsonNode v = e.getValue();
                    Object value = v.isNull() ? null : v.isIntegralNumber() && v.canConvertToLong() ? (Object) v.longValue()
                            : v.isNumber() ? (Object) v.doubleValue() : v.isBoolean() ? (Object) v.booleanValue()
                            : v.isTextual() ? v.textValue() : v.toString();
                    out.put(rename.getOrDefault(e.getKey(), e.getKey()), value);
                });
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The selected and renamed user columns of a parent row, as a canonical JSON object. */
    public static String selectColumns(String columnsJson, List<String> select, Map<String, String> rename) {
        if (columnsJson == null) {
            return null;
        }
        if (select == null && rename.isEmpty()) {
            return columnsJson;
        }
        try {
            JsonNode cols = JSON.readTree(columnsJson);
            ObjectNode out = JSON.createObjectNode();
            cols.fields().forEachRemaining(e -> {
                String name = rename.getOrDefault(e.getKey(), e.getKey());
                // select names columns after rename, as in Metaxy.
                if (select == null || select.contains(name)) {
                    out.set(name, e.getValue());
                }
            });
            return canonical(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeSorted(JsonGenerator gen, JsonNode node) throws IOException {
        if (node.isObject()) {
            gen.writeStartObject();
            TreeMap<String, JsonNode> sorted = new TreeMap<>();
            node.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
            for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
                gen.writeFieldName(e.getKey());
                writeSorted(gen, e.getValue());
            }
            gen.writeEndObject();
        } else if (node.isArray()) {
            gen.writeStartArray();
            for (JsonNode item : node) {
                writeSorted(gen, item);
            }
            gen.writeEndArray();
        } else {
            gen.writeTree(node);
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
