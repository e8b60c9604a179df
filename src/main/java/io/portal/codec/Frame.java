package io.portal.codec;

import org.apache.pekko.util.ByteString;

/**
 * One decoded frame: its type number and its payload, exactly {@code length} bytes (the header is gone).
 *
 * @param type    the frame's {@code type} field, as sent (not checked against {@code MessageType} here)
 * @param payload the protobuf payload; never null, possibly empty
 */
public record Frame(int type, ByteString payload) implements Decoded {
  @Override
  public long wireBytes() {
    return FrameDecoder.HEADER_BYTES + payload.size();
  }
}
