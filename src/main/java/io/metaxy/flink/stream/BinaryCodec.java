package io.metaxy.flink.stream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The compact encodings every serializer of the job's records and state shares: varint lengths
 * and counts (one byte below 128) and strings as a varint length plus UTF-8 bytes, so 8-character
 * hashes take 9 bytes.
 */
public final class BinaryCodec {
    private BinaryCodec() {}

    public static void writeString(DataOutputView out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        writeVarInt(out, bytes.length);
        out.write(bytes);
    }

    public static String readString(DataInputView in) throws IOException {
        byte[] bytes = new byte[readVarInt(in)];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A string that may be null: a presence byte, then the string. */
    public static void writeNullableString(DataOutputView out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            writeString(out, s);
        }
    }

    public static String readNullableString(DataInputView in) throws IOException {
        return in.readBoolean() ? readString(in) : null;
    }

    /** A string array that may be null: varint (length + 1, 0 = null), then the strings. */
    public static void writeStrings(DataOutputView out, String[] values) throws IOException {
        writeVarInt(out, values == null ? 0 : values.length + 1);
        if (values != null) {
            for (String v : values) {
                writeString(out, v);
            }
        }
    }

    public static String[] readStrings(DataInputView in) throws IOException {
        int n = readVarInt(in);
        if (n == 0) {
            return null;
        }
        String[] out = new String[n - 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = readString(in);
        }
        return out;
    }

    /** Bytes that may be null: varint (length + 1, 0 = null), then the bytes. */
    public static void writeBytes(DataOutputView out, byte[] bytes) throws IOException {
        writeVarInt(out, bytes == null ? 0 : bytes.length + 1);
        if (bytes != null) {
            out.write(bytes);
        }
    }

    public static byte[] readBytes(DataInputView in) throws IOException {
        int n = readVarInt(in);
        if (n == 0) {
            return null;
        }
        byte[] out = new byte[n - 1];
        in.readFully(out);
        return out;
    }

    public static void writeVarInt(DataOutputView out, int value) throws IOException {
        while ((value & ~0x7F) != 0) {
            out.writeByte((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.writeByte(value);
    }

    public static int readVarInt(DataInputView in) throws IOException {
        int value = 0;
        int shift = 0;
        int b;
        do {
            b = in.readUnsignedByte();
            value |= (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return value;
    }
}
