package io.metaxy.flink.store;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * An unmodifiable map over keys shared by many maps and a value array of its own, in key order;
 * values may be null. A resolve of a million samples builds several maps per sample (ids,
 * provenance by field, upstream columns): one array each instead of a hash table of entries
 * saves most of the time and memory of mapping the rows. It equals any {@link Map} with the
 * same entries.
 *
 * <pre>{@code
 * List<String> keys = List.of("audio", "frames");
 * Map<String, String> byField = new FixedKeyMap<>(keys, new String[] {"123", "456"});
 * byField.get("frames"); // "456"
 * }</pre>
 */
public class FixedKeyMap<V> extends AbstractMap<String, V> {
    private final List<String> keys;
    private final Object[] values;

    /**
     * @param keys distinct keys, shared (not copied): they must not change
     * @param values one per key, in the same order; owned by the map from now on
     */
    public FixedKeyMap(List<String> keys, Object[] values) {
        if (keys.size() != values.length) {
            throw new IllegalArgumentException(keys.size() + " keys but " + values.length + " values");
        }
        this.keys = keys;
        this.values = values;
    }

    @Override
    public int size() {
        return values.length;
    }

    private int indexOf(Object key) {
        for (int i = 0; i < values.length; i++) {
            if (keys.get(i).equals(key)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : (V) values[i];
    }

    @Override
    @SuppressWarnings("unchecked")
    public void forEach(java.util.function.BiConsumer<? super String, ? super V> action) {
        for (int i = 0; i < values.length; i++) {
            action.accept(keys.get(i), (V) values[i]);
        }
    }

    @Override
    public Set<Entry<String, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return values.length;
            }

            @Override
            public Iterator<Entry<String, V>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < values.length;
                    }

                    @Override
                    @SuppressWarnings("unchecked")
                    public Entry<String, V> next() {
                        if (next >= values.length) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return new SimpleImmutableEntry<>(keys.get(i), (V) values[i]);
                    }
                };
            }
        };
    }

    /** Without an entry per pair; the same value as {@link AbstractMap#hashCode}. */
    @Override
    public int hashCode() {
        int h = 0;
        for (int i = 0; i < values.length; i++) {
            h += keys.get(i).hashCode() ^ Objects.hashCode(values[i]);
        }
        return h;
    }
}
