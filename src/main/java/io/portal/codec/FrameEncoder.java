package io.portal.codec;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.pekko.util.ByteString;

/**
 * Writes frames: {@code | type int32 BE | length int32 BE | payload |}. One array per frame, header and payload
 * together, wrapped without a copy. Stateless; any thread may call it.
 */
public final class FrameEncoder {
  private FrameEncoder() {
  }

  /** The frame for {@code message} with the given type, as a byte array (the client writes these). */
  public static byte[] encodeToArray(int type, MessageLite message) {
    int size = message.getSerializedSize();
    byte[] frame = new byte[FrameDecoder.HEADER_BYTES + size];
    putInt(frame, 0, type);
    putInt(frame, 4, size);
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(frame, FrameDecoder.HEADER_BYTES, size);
      message.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      // cannot happen: the array is exactly the serialized size
      throw new UncheckedIOException("encoding " + message.getClass().getSimpleName(), e);
    }
    return frame;
  }

  /** The frame for {@code message} with the given type, as a Pekko ByteString (the server writes these). */
  public static ByteString encode(int type, MessageLite message) {
    return ByteString.fromArrayUnsafe(encodeToArray(type, message));
  }

  /** A frame header alone; tests and tools use it to write raw or malformed frames. */
  public static byte[] header(int type, int length) {
    byte[] header = new byte[FrameDecoder.HEADER_BYTES];
    putInt(header, 0, type);
    putInt(header, 4, length);
    return header;
  }

  private static void putInt(byte[] target, int offset, int value) {
    target[offset] = (byte) (value >>> 24);
    target[offset + 1] = (byte) (value >>> 16);
    target[offset + 2] = (byte) (value >>> 8);
    target[offset + 3] = (byte) value;
  }
}
