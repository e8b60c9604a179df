package io.portal.codec;

import io.portal.protocol.v1.ErrorCode;
import java.util.function.IntPredicate;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Cuts a TCP byte stream into Portal frames.
 *
 * <pre>
 * +----------------+----------------+---------------------------+
 * | type (int32)   | length (int32) | payload (length bytes)    |
 * | big-endian     | big-endian     | one protobuf message      |
 * +----------------+----------------+---------------------------+
 *  0              4                8                     8 + length
 * </pre>
 *
 * <p>{@code length} counts the payload only; the header is always {@value #HEADER_BYTES} bytes. The header is checked
 * as soon as its 8 bytes have arrived, before a single payload byte is buffered, so an oversized frame costs the
 * server 8 bytes. Input may be split anywhere: one byte per chunk and many frames per chunk decode the same.
 *
 * <p>Failure modes, each emitted as a {@link FrameError} in the failed frame's place:
 * <ul>
 *   <li>{@code length < 0}: {@code MALFORMED_FRAME} "frame length -1 is negative", fatal (framing is lost);</li>
 *   <li>{@code length > maxPayload}: {@code FRAME_TOO_LARGE} "frame payload length 2097152 exceeds maximum
 *       1572864", fatal; the payload is never read;</li>
 *   <li>a type that {@code knownType} rejects: {@code UNKNOWN_MESSAGE_TYPE} "unknown message type 42 (10 payload
 *       bytes skipped)", not fatal: the payload is discarded as it streams past, never buffered;</li>
 *   <li>upstream finishes inside a frame: {@code MALFORMED_FRAME} "connection closed inside a frame: 3 of 8 header
 *       bytes received" (or "... 10 of 100 payload bytes"), then completion.</li>
 * </ul>
 * After a fatal error the stage completes, and the connection is expected to write the error and close.
 */
public final class FrameDecoder {
  /** Size of the fixed frame header: type and length, both int32. */
  public static final int HEADER_BYTES = 8;

  private FrameDecoder() {
  }

  /**
   * A decoding flow; every materialization gets its own state.
   *
   * @param maxPayload largest accepted payload length in bytes, 0 .. Integer.MAX_VALUE - HEADER_BYTES
   * @param knownType  which type numbers have a payload worth reading; others are skipped with an error
   * @throws IllegalArgumentException when maxPayload is out of range
   */
  public static Flow<ByteString, Decoded, NotUsed> create(int maxPayload, IntPredicate knownType) {
    if (maxPayload < 0 || maxPayload > Integer.MAX_VALUE - HEADER_BYTES) {
      throw new IllegalArgumentException(
          "maxPayload " + maxPayload + " is outside 0.." + (Integer.MAX_VALUE - HEADER_BYTES));
    }
    if (knownType == null) {
      throw new IllegalArgumentException("knownType must not be null");
    }
    return Flow.fromGraph(new Stage(maxPayload, knownType)).named("portalFrameDecoder");
  }

  /** Reads a big-endian int32 at {@code offset}; the caller guarantees 4 bytes are there. */
  static int intAt(ByteString bytes, int offset) {
    return ((bytes.apply(offset) & 0xff) << 24)
        | ((bytes.apply(offset + 1) & 0xff) << 16)
        | ((bytes.apply(offset + 2) & 0xff) << 8)
        | (bytes.apply(offset + 3) & 0xff);
  }

  private static final class Stage extends GraphStage<FlowShape<ByteString, Decoded>> {
    private final Inlet<ByteString> in = Inlet.create("FrameDecoder.in");
    private final Outlet<Decoded> out = Outlet.create("FrameDecoder.out");
    private final FlowShape<ByteString, Decoded> shape = FlowShape.of(in, out);
    private final int maxPayload;
    private final IntPredicate knownType;

    Stage(int maxPayload, IntPredicate knownType) {
      this.maxPayload = maxPayload;
      this.knownType = knownType;
    }

    @Override
    public FlowShape<ByteString, Decoded> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new Logic();
    }

    private final class Logic extends GraphStageLogic {
      /** Bytes received and not yet consumed; never holds more than one payload beyond the current chunk. */
      private ByteString buffer = ByteString.emptyByteString();
      /** Bytes of an unknown-type payload still to discard as they arrive. */
      private long skipRemaining;
      /** Total length of the payload being skipped, for the truncation message. */
      private long skipTotal;

      Logic() {
        super(shape);
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            buffer = buffer.concat(grab(in));
            emitNext();
          }

          @Override
          public void onUpstreamFinish() {
            if (isAvailable(out)) {
              emitNext();
            }
            // otherwise the next onPull sees the closed inlet and finishes
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            emitNext();
          }
        });
      }

      /** Pushes one element if one is ready, else pulls for more, else finishes. Called only with demand. */
      private void emitNext() {
        if (!isAvailable(out)) {
          return;
        }
        Decoded next = decodeOne();
        if (next != null) {
          push(out, next);
          if (next instanceof FrameError error && error.fatal()) {
            completeStage();
          }
          return;
        }
        if (isClosed(in)) {
          if (buffer.isEmpty() && skipRemaining == 0) {
            completeStage();
          } else {
            push(out, truncated());
            completeStage();
          }
        } else if (!hasBeenPulled(in)) {
          pull(in);
        }
      }

      private Decoded decodeOne() {
        if (skipRemaining > 0) {
          // cannot overflow: skipRemaining <= maxPayload < Integer.MAX_VALUE
          int n = (int) Math.min(skipRemaining, buffer.size());
          buffer = buffer.drop(n);
          skipRemaining -= n;
          if (skipRemaining > 0) {
            return null;
          }
        }
        if (buffer.size() < HEADER_BYTES) {
          return null;
        }
        int type = intAt(buffer, 0);
        int length = intAt(buffer, 4);
        if (length < 0) {
          return new FrameError(ErrorCode.MALFORMED_FRAME, "frame length " + length + " is negative", true);
        }
        if (length > maxPayload) {
          return new FrameError(ErrorCode.FRAME_TOO_LARGE,
              "frame payload length " + length + " exceeds maximum " + maxPayload, true);
        }
        if (!knownType.test(type)) {
          buffer = buffer.drop(HEADER_BYTES);
          skipRemaining = length;
          skipTotal = length;
          int n = Math.min(length, buffer.size());
          buffer = buffer.drop(n);
          skipRemaining -= n;
          return new FrameError(ErrorCode.UNKNOWN_MESSAGE_TYPE,
              "unknown message type " + type + " (" + length + " payload bytes skipped)", false);
        }
        // cannot overflow: length <= maxPayload <= Integer.MAX_VALUE - HEADER_BYTES
        int frameBytes = HEADER_BYTES + length;
        if (buffer.size() < frameBytes) {
          return null;
        }
        ByteString payload = buffer.slice(HEADER_BYTES, frameBytes).compact();
        buffer = buffer.drop(frameBytes);
        return new Frame(type, payload);
      }

      private FrameError truncated() {
        String detail;
        if (skipRemaining > 0) {
          detail = (skipTotal - skipRemaining) + " of " + skipTotal + " payload bytes received";
        } else if (buffer.size() < HEADER_BYTES) {
          detail = buffer.size() + " of " + HEADER_BYTES + " header bytes received";
        } else {
          detail = (buffer.size() - HEADER_BYTES) + " of " + intAt(buffer, 4) + " payload bytes received";
        }
        buffer = ByteString.emptyByteString();
        skipRemaining = 0;
        return new FrameError(ErrorCode.MALFORMED_FRAME, "connection closed inside a frame: " + detail, true);
      }
    }
  }
}
