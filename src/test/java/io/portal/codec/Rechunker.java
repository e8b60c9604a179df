package io.portal.codec;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.util.ByteString;

/** Splits a byte stream into chunks, the way TCP may deliver it (like Pekko's FramingSpec Rechunker). */
final class Rechunker {
  private Rechunker() {
  }

  /** Two chunks, cut at {@code at}. */
  static List<ByteString> splitAt(ByteString bytes, int at) {
    List<ByteString> chunks = new ArrayList<>();
    if (at > 0) {
      chunks.add(bytes.take(at));
    }
    if (at < bytes.size()) {
      chunks.add(bytes.drop(at));
    }
    return chunks;
  }

  /** One byte per chunk. */
  static List<ByteString> bytewise(ByteString bytes) {
    List<ByteString> chunks = new ArrayList<>(bytes.size());
    for (int i = 0; i < bytes.size(); i++) {
      chunks.add(bytes.slice(i, i + 1));
    }
    return chunks;
  }

  /** Random chunk sizes from 1 to {@code maxChunk}. */
  static List<ByteString> random(ByteString bytes, Random random, int maxChunk) {
    List<ByteString> chunks = new ArrayList<>();
    int offset = 0;
    while (offset < bytes.size()) {
      int size = Math.min(bytes.size() - offset, 1 + random.nextInt(maxChunk));
      chunks.add(bytes.slice(offset, offset + size));
      offset += size;
    }
    return chunks;
  }
}
