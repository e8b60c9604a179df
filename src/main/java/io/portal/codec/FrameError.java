package io.portal.codec;

import io.portal.protocol.v1.ErrorCode;

/**
 * A framing failure reported in-band by {@link FrameDecoder}, in the position of the frame it replaces.
 *
 * @param code    the wire error code to answer with
 * @param message a human-readable message carrying the offending numbers
 * @param fatal   true when framing is lost: the decoder completes right after emitting this, and the connection must
 *                be closed once the error has been written
 * @param timedOut true when the frame did not arrive whole within the decoder's frame timeout (always fatal)
 */
public record FrameError(ErrorCode code, String message, boolean fatal, boolean timedOut) implements Decoded {
  /** An error that is not a frame timeout. */
  public FrameError(ErrorCode code, String message, boolean fatal) {
    this(code, message, fatal, false);
  }

  @Override
  public long wireBytes() {
    return 0;
  }
}
