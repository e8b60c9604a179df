package io.portal.codec;

import io.portal.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
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
 * <p>Memory: the decoder reports every byte it holds to an {@link InboundBudget} and reads the next chunk only while
 * the budget allows; bytes handed on inside a {@link Frame} stay counted until their taker releases them. A frame
 * that stays unfinished for longer than the frame timeout is an error, so a client cannot pin a partial frame's
 * buffer for ever by trickling it. The clock runs while the decoder waits for the client's bytes and while its budget
 * holds it back (otherwise clients holding partial frames together could keep the server paused for ever); it stops
 * while the connection itself asks for no frames (its own in-flight and output limits).
 *
 * <p>Failure modes, each emitted as a {@link FrameError} in the failed frame's place; every frame gets exactly one:
 * <ul>
 *   <li>{@code length < 0}: {@code MALFORMED_FRAME} "frame length -1 is negative", fatal (framing is lost);</li>
 *   <li>{@code length > maxPayload}: {@code FRAME_TOO_LARGE} "frame payload length 2097152 exceeds maximum
 *       1572864", fatal; the payload is never read;</li>
 *   <li>a type that {@code knownType} rejects: {@code UNKNOWN_MESSAGE_TYPE} "unknown message type 42 (10 payload
 *       bytes skipped)", not fatal, once the payload has streamed past (it is discarded, never buffered);</li>
 *   <li>upstream finishes inside a frame: {@code MALFORMED_FRAME} "connection closed inside a frame: 3 of 8 header
 *       bytes received" (or "... 10 of 100 payload bytes"), then completion;</li>
 *   <li>a frame unfinished for longer than the frame timeout: {@code MALFORMED_FRAME} "frame not received whole
 *       within 10000 ms: 1000 of 1572864 payload bytes received", fatal.</li>
 * </ul>
 * After a fatal error the stage completes, and the connection is expected to write the error and close.
 */
public final class FrameDecoder {
  /** Size of the fixed frame header: type and length, both int32. */
  public static final int HEADER_BYTES = 8;
  /** How soon a decoder that its budget held back asks again. */
  private static final Duration READ_RETRY_DELAY = Duration.ofMillis(10);

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
    return create(maxPayload, knownType, InboundBudget.UNLIMITED, Duration.ZERO);
  }

  /**
   * A decoding flow that accounts its bytes to {@code budget} and times out unfinished frames.
   *
   * @param frameTimeout how long a frame may stay unfinished while the decoder waits on the client;
   *                     {@link Duration#ZERO} = no limit
   */
  public static Flow<ByteString, Decoded, NotUsed> create(int maxPayload, IntPredicate knownType, InboundBudget budget,
      Duration frameTimeout) {
    if (maxPayload < 0 || maxPayload > Integer.MAX_VALUE - HEADER_BYTES) {
      throw new IllegalArgumentException(
          "maxPayload " + maxPayload + " is outside 0.." + (Integer.MAX_VALUE - HEADER_BYTES));
    }
    if (knownType == null) {
      throw new IllegalArgumentException("knownType must not be null");
    }
    if (budget == null || frameTimeout == null || frameTimeout.isNegative()) {
      throw new IllegalArgumentException("budget must not be null and frameTimeout must be zero or positive");
    }
    return Flow.fromGraph(new Stage(maxPayload, knownType, budget, frameTimeout)).named("portalFrameDecoder");
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
    private final InboundBudget budget;
    private final Duration frameTimeout;

    Stage(int maxPayload, IntPredicate knownType, InboundBudget budget, Duration frameTimeout) {
      this.maxPayload = maxPayload;
      this.knownType = knownType;
      this.budget = budget;
      this.frameTimeout = frameTimeout;
    }

    @Override
    public FlowShape<ByteString, Decoded> shape() {
      return shape;
    }

    @Override
    public TimerGraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new Logic();
    }

    private final class Logic extends TimerGraphStageLogic {
      private static final String READ_RETRY = "read-retry";
      private static final String FRAME_CLOCK = "frame-clock";

      /** Bytes received and not yet consumed; never holds more than one payload beyond the current chunk. */
      private ByteString buffer = ByteString.emptyByteString();
      /** Bytes of {@code buffer} reported to the budget. */
      private long counted;
      /** Bytes of an unknown-type payload still to discard as they arrive. */
      private long skipRemaining;
      /** Total length and type of the payload being skipped, for its error and the truncation message. */
      private long skipTotal;
      private int skipType;
      /** How long the unfinished frame has waited on the client, in frame-clock ticks' worth of nanoseconds. */
      private long waitedNanos;
      private boolean clockRunning;
      /** True while the budget keeps the decoder from reading. */
      private boolean heldByBudget;
      private final long tickNanos = Math.max(1, Math.min(TimeUnit.SECONDS.toNanos(1), frameTimeout.toNanos() / 4));

      Logic() {
        super(shape);
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            ByteString chunk = grab(in);
            buffer = buffer.concat(chunk);
            counted += chunk.size();
            budget.add(chunk.size());
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

      @Override
      public void onTimer(Object key) {
        if (READ_RETRY.equals(key)) {
          emitNext();
        } else if (FRAME_CLOCK.equals(key) && !unfinished()) {
          waitedNanos = 0;
        } else if (FRAME_CLOCK.equals(key)) {
          if (hasBeenPulled(in) || heldByBudget) {
            waitedNanos += tickNanos; // not while the connection asks for no frames
          }
          if (waitedNanos >= frameTimeout.toNanos() && isAvailable(out)) {
            push(out, new FrameError(ErrorCode.MALFORMED_FRAME, "frame not received whole within "
                + frameTimeout.toMillis() + " ms: " + progress(), true, true));
            completeStage();
          }
        }
      }

      @Override
      public void postStop() {
        budget.add(-counted); // what is still buffered dies with the stage
        counted = 0;
      }

      /** Pushes one element if one is ready, else pulls for more, else finishes. Called only with demand. */
      private void emitNext() {
        if (!isAvailable(out)) {
          return;
        }
        Decoded next = decodeOne();
        runFrameClock();
        if (next != null) {
          push(out, next);
          if (next instanceof FrameError error && error.fatal()) {
            completeStage();
          }
          return;
        }
        if (isClosed(in)) {
          if (!unfinished()) {
            completeStage();
          } else {
            push(out, truncated());
            completeStage();
          }
        } else if (!hasBeenPulled(in)) {
          heldByBudget = !budget.mayRead();
          if (!heldByBudget) {
            pull(in);
          } else if (!isTimerActive(READ_RETRY)) {
            scheduleOnce(READ_RETRY, READ_RETRY_DELAY);
          }
        }
      }

      private boolean unfinished() {
        return !buffer.isEmpty() || skipRemaining > 0;
      }

      /**
       * Starts the frame clock the first time a frame is unfinished; from then on it ticks for the stage's life (a
       * tick with no unfinished frame does nothing), which is cheaper than a timer per frame split across reads.
       */
      private void runFrameClock() {
        if (!clockRunning && !frameTimeout.isZero() && unfinished()) {
          clockRunning = true;
          scheduleWithFixedDelay(FRAME_CLOCK, Duration.ofNanos(tickNanos), Duration.ofNanos(tickNanos));
        }
      }

      /** Removes {@code n} bytes from the front of the buffer; {@code handedOn}: they leave inside a frame. */
      private void consume(int n, boolean handedOn) {
        buffer = buffer.drop(n);
        counted -= n;
        if (!handedOn) {
          budget.add(-n);
        }
      }

      private Decoded decodeOne() {
        if (skipRemaining > 0) {
          // cannot overflow: skipRemaining <= maxPayload < Integer.MAX_VALUE
          int n = (int) Math.min(skipRemaining, buffer.size());
          consume(n, false);
          skipRemaining -= n;
          if (skipRemaining > 0) {
            return null;
          }
          waitedNanos = 0;
          return unknownType();
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
          consume(HEADER_BYTES, false);
          skipType = type;
          skipTotal = length;
          skipRemaining = length;
          // answered once the payload has streamed past, or as truncated if it never does
          return length == 0 ? unknownType() : decodeOne();
        }
        // cannot overflow: length <= maxPayload <= Integer.MAX_VALUE - HEADER_BYTES
        int frameBytes = HEADER_BYTES + length;
        if (buffer.size() < frameBytes) {
          return null;
        }
        ByteString payload = buffer.slice(HEADER_BYTES, frameBytes).compact();
        consume(frameBytes, true);
        waitedNanos = 0;
        return new Frame(type, payload);
      }

      private FrameError unknownType() {
        return new FrameError(ErrorCode.UNKNOWN_MESSAGE_TYPE,
            "unknown message type " + skipType + " (" + skipTotal + " payload bytes skipped)", false);
      }

      /** How much of the unfinished frame has arrived, for error messages. */
      private String progress() {
        if (skipRemaining > 0) {
          return (skipTotal - skipRemaining) + " of " + skipTotal + " payload bytes received";
        } else if (buffer.size() < HEADER_BYTES) {
          return buffer.size() + " of " + HEADER_BYTES + " header bytes received";
        }
        return (buffer.size() - HEADER_BYTES) + " of " + intAt(buffer, 4) + " payload bytes received";
      }

      private FrameError truncated() {
        String detail = progress();
        consume(buffer.size(), false);
        skipRemaining = 0;
        return new FrameError(ErrorCode.MALFORMED_FRAME, "connection closed inside a frame: " + detail, true);
      }
    }
  }
}
