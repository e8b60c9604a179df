package io.portal.codec;

/** What {@link FrameDecoder} emits: a whole {@link Frame}, or a {@link FrameError} standing in its place. */
public sealed interface Decoded permits Frame, FrameError {
}
