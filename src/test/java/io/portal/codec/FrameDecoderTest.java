package io.portal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.MessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
  private static final int MAX = 1572864;
  private static final int PING = MessageType.PING_REQUEST_VALUE;
  private static final int SET = MessageType.SET_REQUEST_VALUE;
  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static List<Decoded> decode(List<ByteString> chunks) {
    return decode(chunks, MAX);
  }

  private static List<Decoded> decode(List<ByteString> chunks, int max) {
    try {
      return Source.from(chunks)
          .via(FrameDecoder.create(max, Messages::isRequestType))
          .runWith(Sink.seq(), testKit.system())
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static ByteString frame(int type, int payloadSize) {
    byte[] payload = new byte[payloadSize];
    for (int i = 0; i < payloadSize; i++) {
      payload[i] = (byte) (i * 31 + type);
    }
    return ByteString.fromArray(FrameEncoder.header(type, payloadSize)).concat(ByteString.fromArray(payload));
  }

  private static ByteString header(int type, int length) {
    return ByteString.fromArray(FrameEncoder.header(type, length));
  }

  private static Frame asFrame(Decoded decoded) {
    return assertInstanceOf(Frame.class, decoded);
  }

  private static FrameError asError(Decoded decoded) {
    return assertInstanceOf(FrameError.class, decoded);
  }

  @Test
  void decodesTheSameWhereverTheStreamIsCut() {
    ByteString stream = frame(PING, 0).concat(frame(SET, 3)).concat(frame(PING, 300)).concat(frame(SET, 17));
    List<Decoded> whole = decode(List.of(stream));
    assertEquals(4, whole.size());
    assertEquals(List.of(0, 3, 300, 17), whole.stream().map(d -> asFrame(d).payload().size()).toList());
    assertEquals(frame(PING, 300).drop(8), asFrame(whole.get(2)).payload());

    for (int cut = 0; cut <= stream.size(); cut++) {
      assertEquals(whole, decode(Rechunker.splitAt(stream, cut)), "cut at byte " + cut);
    }
    assertEquals(whole, decode(Rechunker.bytewise(stream)));
    Random random = new Random(42);
    for (int round = 0; round < 50; round++) {
      assertEquals(whole, decode(Rechunker.random(stream, random, 1 + random.nextInt(64))), "round " + round);
    }
  }

  @Test
  void payloadSizesUpToTheLimitPassAndOneMoreIsRejected() {
    for (int size : new int[] {0, 1, 255, 256, 65535, 65536, MAX}) {
      List<Decoded> out = decode(Rechunker.random(frame(SET, size), new Random(size), 70000));
      assertEquals(1, out.size(), "size " + size);
      assertEquals(size, asFrame(out.get(0)).payload().size());
      assertEquals(SET, asFrame(out.get(0)).type());
    }
    List<Decoded> tooLarge = decode(List.of(frame(SET, MAX + 1), frame(PING, 1)));
    assertEquals(1, tooLarge.size(), "nothing is decoded after a fatal error");
    FrameError error = asError(tooLarge.get(0));
    assertEquals(ErrorCode.FRAME_TOO_LARGE, error.code());
    assertEquals("frame payload length 1572865 exceeds maximum 1572864", error.message());
    assertTrue(error.fatal());
  }

  @Test
  void oversizedFrameIsRejectedOnItsHeaderWithoutWaitingForThePayload() throws Exception {
    // the payload never arrives: the error must come from the 8 header bytes alone
    Decoded first = Source.single(header(SET, 2_000_000)).concat(Source.never())
        .via(FrameDecoder.create(MAX, Messages::isRequestType))
        .runWith(Sink.head(), testKit.system())
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals("frame payload length 2000000 exceeds maximum 1572864", asError(first).message());
  }

  @Test
  void negativeLengthIsMalformedAndFatal() {
    List<Decoded> out = decode(List.of(frame(PING, 2), header(PING, -5), frame(PING, 1)));
    assertEquals(2, out.size());
    asFrame(out.get(0));
    FrameError error = asError(out.get(1));
    assertEquals(ErrorCode.MALFORMED_FRAME, error.code());
    assertEquals("frame length -5 is negative", error.message());
    assertTrue(error.fatal());
  }

  @Test
  void unknownTypeIsSkippedAndTheNextFrameDecodes() {
    ByteString stream = frame(42, 1000).concat(frame(PING, 4));
    for (List<ByteString> chunks : List.of(List.of(stream), Rechunker.bytewise(stream),
        Rechunker.random(stream, new Random(7), 100))) {
      List<Decoded> out = decode(chunks);
      assertEquals(2, out.size());
      FrameError error = asError(out.get(0));
      assertEquals(ErrorCode.UNKNOWN_MESSAGE_TYPE, error.code());
      assertEquals("unknown message type 42 (1000 payload bytes skipped)", error.message());
      assertFalse(error.fatal());
      assertEquals(frame(PING, 4).drop(8), asFrame(out.get(1)).payload());
    }
    // response types are not requests: a client's frame sent to the server is unknown there
    assertEquals(ErrorCode.UNKNOWN_MESSAGE_TYPE,
        asError(decode(List.of(frame(MessageType.PING_RESPONSE_VALUE, 0))).get(0)).code());
  }

  @Test
  void badFrameFollowedByGoodFrames() {
    ByteString stream = frame(0, 5).concat(frame(7777, 0)).concat(frame(SET, 9));
    List<Decoded> out = decode(Rechunker.bytewise(stream));
    assertEquals(3, out.size());
    assertEquals("unknown message type 0 (5 payload bytes skipped)", asError(out.get(0)).message());
    assertEquals("unknown message type 7777 (0 payload bytes skipped)", asError(out.get(1)).message());
    assertEquals(9, asFrame(out.get(2)).payload().size());
  }

  @Test
  void truncatedFinalFrameIsReported() {
    List<Decoded> inHeader = decode(List.of(frame(PING, 1), header(PING, 10).take(3)));
    assertEquals(2, inHeader.size());
    assertEquals("connection closed inside a frame: 3 of 8 header bytes received", asError(inHeader.get(1)).message());
    assertEquals(ErrorCode.MALFORMED_FRAME, asError(inHeader.get(1)).code());

    List<Decoded> inPayload = decode(List.of(frame(SET, 100).take(8 + 10)));
    assertEquals(1, inPayload.size());
    assertEquals("connection closed inside a frame: 10 of 100 payload bytes received",
        asError(inPayload.get(0)).message());

    // an unknown type cut short gets one answer, not UNKNOWN_MESSAGE_TYPE and then MALFORMED_FRAME
    List<Decoded> inSkipped = decode(List.of(frame(99, 100).take(8 + 40)));
    assertEquals(1, inSkipped.size());
    assertEquals(ErrorCode.MALFORMED_FRAME, asError(inSkipped.get(0)).code());
    assertEquals("connection closed inside a frame: 40 of 100 payload bytes received",
        asError(inSkipped.get(0)).message());
  }

  @Test
  void emptyStreamDecodesToNothing() {
    assertEquals(List.of(), decode(List.of()));
    assertEquals(List.of(), decode(List.of(ByteString.emptyByteString())));
  }

  @Test
  void aSmallerLimitIsEnforced() {
    List<Decoded> out = decode(List.of(frame(SET, 16), frame(SET, 17)), 16);
    assertEquals(2, out.size());
    assertEquals(16, asFrame(out.get(0)).payload().size());
    assertEquals("frame payload length 17 exceeds maximum 16", asError(out.get(1)).message());
  }

  @Test
  void factoryRejectsBadArguments() {
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> FrameDecoder.create(-1, t -> true));
    assertEquals("maxPayload -1 is outside 0..2147483639", negative.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FrameDecoder.create(Integer.MAX_VALUE, t -> true));
    assertThrows(IllegalArgumentException.class, () -> FrameDecoder.create(10, null));
  }

  @Test
  void encoderWritesWhatTheDecoderReads() {
    var ping = io.portal.protocol.v1.PingRequest.newBuilder().setRequestId(5)
        .setPayload(com.google.protobuf.ByteString.copyFromUtf8("hi")).build();
    ByteString encoded = FrameEncoder.encode(PING, ping);
    assertEquals(8 + ping.getSerializedSize(), encoded.size());
    List<Decoded> out = decode(List.of(encoded, encoded));
    assertEquals(2, out.size());
    List<Object> parsed = new ArrayList<>();
    for (Decoded d : out) {
      try {
        parsed.add(Messages.parseRequest(PING, asFrame(d).payload().asByteBuffer()));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    assertEquals(List.of(ping, ping), parsed);
  }

  @Test
  void decoderStateIsPerMaterialization() throws Exception {
    var flow = FrameDecoder.create(MAX, Messages::isRequestType);
    // a half frame left in one materialization must not leak into the next
    Source.single(frame(PING, 10).take(5)).via(flow).runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    List<Decoded> second = Source.single(frame(PING, 2)).via(flow).runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(1, second.size());
    assertEquals(2, asFrame(second.get(0)).payload().size());
  }

  /** Counts what the decoder reports and lets it read only while {@code allowed} says so. */
  private static final class CountingBudget implements InboundBudget {
    final AtomicLong held = new AtomicLong();
    final AtomicLong added = new AtomicLong();
    volatile java.util.function.LongPredicate allowed = bytes -> true;

    @Override
    public void add(long delta) {
      held.addAndGet(delta);
      if (delta > 0) {
        added.addAndGet(delta);
      }
    }

    @Override
    public boolean mayRead() {
      return allowed.test(held.get());
    }
  }

  @Test
  void bytesHandedOnInFramesStayCountedAndTheRestIsReleased() throws Exception {
    CountingBudget budget = new CountingBudget();
    ByteString input = frame(PING, 100).concat(frame(99, 50)).concat(frame(SET, 30)).concat(frame(PING, 40).take(20));
    List<Decoded> out = Source.from(List.of(input.take(70), input.drop(70)))
        .via(FrameDecoder.create(MAX, Messages::isRequestType, budget, Duration.ZERO))
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(4, out.size()); // PING, UNKNOWN_MESSAGE_TYPE, SET, truncated
    assertEquals(input.size(), budget.added.get());
    // the skipped frame and the truncated tail are released; the two frames handed on are their taker's to release
    assertEquals(8 + 100 + 8 + 30, budget.held.get());
  }

  @Test
  void readsNothingMoreWhileTheBudgetSaysNo() throws Exception {
    CountingBudget budget = new CountingBudget();
    budget.allowed = bytes -> bytes < 100;
    ByteString whole = frame(SET, 1_000);
    List<ByteString> chunks = new ArrayList<>();
    for (int i = 0; i < whole.size(); i += 50) {
      chunks.add(whole.slice(i, Math.min(whole.size(), i + 50)));
    }
    AtomicLong pulled = new AtomicLong();
    var result = Source.from(chunks).map(chunk -> {
      pulled.incrementAndGet();
      return chunk;
    }).via(FrameDecoder.create(MAX, Messages::isRequestType, budget, Duration.ofSeconds(30)))
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture();
    Thread.sleep(300);
    assertEquals(2, pulled.get(), "two chunks reach 100 bytes; nothing more is read");
    assertEquals(100, budget.held.get());
    budget.allowed = bytes -> true;
    List<Decoded> out = result.get(5, TimeUnit.SECONDS);
    assertEquals(1, out.size());
    assertEquals(1_000, asFrame(out.get(0)).payload().size());
  }

  @Test
  void timeHeldBackByTheBudgetCountsTowardsTheFrameTimeout() throws Exception {
    CountingBudget budget = new CountingBudget();
    budget.allowed = bytes -> bytes < 50;
    ByteString whole = frame(SET, 1_000);
    List<Decoded> out = Source.from(List.of(whole.take(40), whole.slice(40, 80), whole.drop(80)))
        .via(FrameDecoder.create(MAX, Messages::isRequestType, budget, Duration.ofMillis(300)))
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(1, out.size());
    assertEquals("frame not received whole within 300 ms: 72 of 1000 payload bytes received",
        asError(out.get(0)).message());
    assertEquals(0, budget.held.get());
  }

  @Test
  void aFrameUnfinishedForLongerThanTheFrameTimeoutIsAnError() throws Exception {
    CountingBudget budget = new CountingBudget();
    List<Decoded> out = Source.single(frame(PING, 2).concat(frame(SET, 100).take(8 + 10)))
        .concat(Source.never())
        .via(FrameDecoder.create(MAX, Messages::isRequestType, budget, Duration.ofMillis(300)))
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(2, out.size());
    FrameError error = asError(out.get(1));
    assertEquals(ErrorCode.MALFORMED_FRAME, error.code());
    assertEquals("frame not received whole within 300 ms: 10 of 100 payload bytes received", error.message());
    assertTrue(error.fatal() && error.timedOut());
    assertEquals(8 + 2, budget.held.get(), "the partial frame is released when the stage stops");
  }
}
