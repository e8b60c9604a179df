package io.portal.codec;

/**
 * Where {@link FrameDecoder} reports the bytes it holds for a connection and asks whether it may read more. The
 * decoder calls both methods on its stream's thread; an implementation shared with other threads must be
 * thread-safe.
 */
public interface InboundBudget {
  /** No accounting and no limit beyond the frame size: the decoder reads whenever asked for a frame. */
  InboundBudget UNLIMITED = new InboundBudget() {
    @Override
    public void add(long delta) {
    }

    @Override
    public boolean mayRead() {
      return true;
    }
  };

  /**
   * The bytes the decoder holds changed by {@code delta}: positive when a chunk arrived, negative when bytes were
   * dropped (skipped payloads, the buffer at the end). Bytes that leave the decoder inside a {@link Frame} stay
   * counted: whoever takes the frame releases them.
   */
  void add(long delta);

  /** True when the decoder may read another chunk from the socket; false makes it wait and ask again shortly. */
  boolean mayRead();
}
