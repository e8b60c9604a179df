package io.portal.codec;

/** What {@link FrameDecoder} emits: a whole {@link Frame}, or a {@link FrameError} standing in its place. */
public sealed interface Decoded permits Frame, FrameError {
  /**
   * The bytes of the input this element stands for and that its taker holds: header and payload of a frame, nothing
   * for an error (the decoder dropped what it read). What {@link InboundBudget} still counts for it.
   */
  long wireBytes();
}
