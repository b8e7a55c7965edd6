package io.metaxy.flink.stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import io.metaxy.flink.store.FixedKeyMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A row's ids or user columns as typed values, parsed once from the Kafka record: names in
 * canonical (sorted) order beside their values, as a read-only {@link Map} backed by the two
 * arrays. The values are the Java types a Jackson map parse of the canonical JSON gives
 * (String, Integer/Long/BigInteger, Double, Boolean, null; nested objects and arrays as
 * LinkedHashMap/ArrayList), so the store sink and the route use them without parsing JSON, and
 * they cross the network in binary ({@link #write}, {@link #read}). A lookup is a scan of a few
 * names, cheaper than hashing for the one to a dozen columns a metadata row has.
 *
 * <pre>{@code
 * RowValues ids = RowValues.ofJson("{\"sample_uid\":7}");
 * ids.get("sample_uid");   // Integer 7
 * ids.toJson();            // {"sample_uid":7}
 * }</pre>
 */
public final class RowValues extends FixedKeyMap<Object> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();
    private static final ObjectReader MAP = JSON.readerFor(new TypeReference<LinkedHashMap<String, Object>>() {});
    private static final ObjectReader ANY = JSON.readerFor(Object.class);
    private static final JsonStringEncoder QUOTE = JsonStringEncoder.getInstance();
    public static final RowValues EMPTY = new RowValues(new String[0], new Object[0]);

    // Value tags of the binary layout.
    private static final int NULL = 0, TEXT = 1, INT = 2, LONG = 3, BIG_INTEGER = 4, DOUBLE = 5, FALSE = 6, TRUE = 7, NESTED = 8;

    private final String[] names;
    private final Object[] values;

    private RowValues(String[] names, Object[] values) {
        super(Arrays.asList(names), values);
        this.names = names;
        this.values = values;
    }

    /** Names must be sorted and distinct, values of the types listed above; the arrays are taken, not copied. */
    static RowValues of(String[] names, Object[] values) {
        return names.length == 0 ? EMPTY : new RowValues(names, values);
    }

    /** The values of an object's members, names sorted; nested values as a map parse of their canonical JSON gives them. */
    public static RowValues ofObject(JsonNode object) {
        if (object.isEmpty()) {
            return EMPTY;
        }
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        object.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
        String[] names = new String[sorted.size()];
        Object[] values = new Object[names.length];
        int i = 0;
        for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
            names[i] = e.getKey();
            values[i++] = valueOf(e.getValue());
        }
        return new RowValues(names, values);
    }

    /** A scalar JSON value as Java; containers through their canonical text, as the JSON path read them. */
    static Object valueOf(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isInt()) {
            return v.intValue();
        }
        if (v.isLong()) {
            return v.longValue();
        }
        if (v.isBigInteger()) {
            return v.bigIntegerValue();
        }
        if (v.isDouble() || v.isFloat()) {
            return v.doubleValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        try {
            return ANY.readValue(RowParser.canonical(v));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a canonical JSON object (as {@link #toJson} or {@link RowParser#canonical} render it). */
    public static RowValues ofJson(String json) {
        LinkedHashMap<String, Object> map;
        try {
            map = MAP.readValue(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (map.isEmpty()) {
            return EMPTY;
        }
        String[] names = map.keySet().toArray(new String[0]);
        Object[] values = map.values().toArray();
        if (!isSorted(names)) {
            // Not canonical (a hand-made row): sort, so equal content is equal rows.
            TreeMap<String, Object> sorted = new TreeMap<>(map);
            names = sorted.keySet().toArray(new String[0]);
            values = sorted.values().toArray();
        }
        return new RowValues(names, values);
    }

    private static boolean isSorted(String[] names) {
        for (int i = 1; i < names.length; i++) {
            if (names[i - 1].compareTo(names[i]) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Canonical JSON: compact, names sorted, what {@link RowParser#canonical} writes for the same
     * object (record keys, ids in increments and state).
     */
    public String toJson() {
        if (scalarIds()) {
            // Ids (strings and integers): written directly, without a generator.
            StringBuilder out = new StringBuilder(16 + 16 * names.length).append('{');
            for (int i = 0; i < names.length; i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append('"').append(QUOTE.quoteAsString(names[i])).append("\":");
                if (values[i] instanceof String s) {
                    out.append('"').append(QUOTE.quoteAsString(s)).append('"');
                } else {
                    out.append(values[i]);
                }
            }
            return out.append('}').toString();
        }
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            for (int i = 0; i < names.length; i++) {
                g.writeFieldName(names[i]);
                writeValue(g, values[i]);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private boolean scalarIds() {
        for (Object v : values) {
            if (!(v instanceof String || v instanceof Integer || v instanceof Long || v instanceof BigInteger)) {
                return false;
            }
        }
        return true;
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Integer n) {
            g.writeNumber(n);
        } else if (v instanceof Long n) {
            g.writeNumber(n);
        } else if (v instanceof BigInteger n) {
            g.writeNumber(n);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            JSON.writeValue(g, v); // nested maps keep the sorted order they were parsed in
        }
    }

    /** Names and values, tagged: a varint count, then per entry the name and a tag byte plus the value. */
    public void write(DataOutputView out) throws IOException {
        BinaryCodec.writeVarInt(out, names.length);
        for (int i = 0; i < names.length; i++) {
            BinaryCodec.writeString(out, names[i]);
            Object v = values[i];
            if (v == null) {
                out.writeByte(NULL);
            } else if (v instanceof String s) {
                out.writeByte(TEXT);
                BinaryCodec.writeString(out, s);
            } else if (v instanceof Integer n) {
                out.writeByte(INT);
                out.writeInt(n);
            } else if (v instanceof Long n) {
                out.writeByte(LONG);
                out.writeLong(n);
            } else if (v instanceof BigInteger n) {
                out.writeByte(BIG_INTEGER);
                BinaryCodec.writeBytes(out, n.toByteArray());
            } else if (v instanceof Double d) {
                out.writeByte(DOUBLE);
                out.writeDouble(d);
            } else if (v instanceof Boolean b) {
                out.writeByte(b ? TRUE : FALSE);
            } else {
                out.writeByte(NESTED);
                BinaryCodec.writeString(out, JSON.writeValueAsString(v));
            }
        }
    }

    public static RowValues read(DataInputView in) throws IOException {
        int n = BinaryCodec.readVarInt(in);
        if (n == 0) {
            return EMPTY;
        }
        String[] names = new String[n];
        Object[] values = new Object[n];
        for (int i = 0; i < n; i++) {
            names[i] = BinaryCodec.readString(in);
            int tag = in.readUnsignedByte();
            values[i] = switch (tag) {
                case NULL -> null;
                case TEXT -> BinaryCodec.readString(in);
                case INT -> in.readInt();
                case LONG -> in.readLong();
                case BIG_INTEGER -> new BigInteger(BinaryCodec.readBytes(in));
                case DOUBLE -> in.readDouble();
                case FALSE -> Boolean.FALSE;
                case TRUE -> Boolean.TRUE;
                case NESTED -> ANY.readValue(BinaryCodec.readString(in));
                default -> throw new IOException("row values: unknown value tag " + tag);
            };
        }
        return new RowValues(names, values);
    }

    // ------------------------------------------------------------ Map (lookups: FixedKeyMap)

    /** The names in canonical order (a copy). */
    public String[] names() {
        return names.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (o instanceof RowValues r) {
            return Arrays.equals(names, r.names) && Arrays.deepEquals(values, r.values);
        }
        return super.equals(o);
    }
}
