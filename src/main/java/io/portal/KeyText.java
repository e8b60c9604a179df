package io.portal;

import com.google.protobuf.ByteString;

/** Keys in messages and logs. */
public final class KeyText {
  private KeyText() {
  }

  /** {@code key} as UTF-8 text with anything unprintable as '?', at most 64 characters. */
  public static String printable(ByteString key) {
    String text = key.toStringUtf8();
    String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
