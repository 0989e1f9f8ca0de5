package io.attest402.verifier.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** A small thread-safe least-recently-used map with a fixed capacity. */
public final class LruCache<K, V> {
  private final Map<K, V> map;

  public LruCache(int capacity) {
    this.map =
        new LinkedHashMap<>(64, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<K, V> e) {
            return size() > capacity;
          }
        };
  }

  public synchronized V get(K key) {
    return map.get(key);
  }

  public synchronized void put(K key, V value) {
    map.put(key, value);
  }

  /** The cached value, or {@code compute(key)} stored first (computed outside the lock). */
  public V computeIfAbsent(K key, Function<K, V> compute) {
    V v = get(key);
    if (v == null) {
      v = compute.apply(key);
      put(key, v);
    }
    return v;
  }
}
