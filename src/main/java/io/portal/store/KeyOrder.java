package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.Comparator;
import scala.math.Ordering;
import scala.math.Ordering$;

/**
 * The order of keys: their bytes compared as unsigned numbers, first difference first, a prefix before any longer
 * key (etcd's order, and memcmp's). Scans return keys in this order.
 */
public final class KeyOrder {
  /** As a Java comparator. */
  public static final Comparator<ByteString> COMPARATOR = KeyOrder::compare;
  /** As the Scala ordering of a partition's sorted map. */
  static final Ordering<ByteString> ORDERING = Ordering$.MODULE$.comparatorToOrdering(COMPARATOR);

  private KeyOrder() {
  }

  public static int compare(ByteString a, ByteString b) {
    int n = Math.min(a.size(), b.size());
    for (int i = 0; i < n; i++) {
      int x = a.byteAt(i) & 0xff;
      int y = b.byteAt(i) & 0xff;
      if (x != y) {
        return x - y;
      }
    }
    return a.size() - b.size();
  }

  /**
   * The first key after every key that starts with {@code prefix}: the end of a prefix's range; empty (no end) when
   * the prefix is empty or all 0xff bytes.
   */
  public static ByteString prefixEnd(ByteString prefix) {
    byte[] bytes = prefix.toByteArray();
    for (int i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] != (byte) 0xff) {
        bytes[i]++;
        return ByteString.copyFrom(bytes, 0, i + 1);
      }
    }
    return ByteString.EMPTY;
  }
}
