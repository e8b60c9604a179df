package io.portal.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.portal.codec.Decoded;
import io.portal.codec.Frame;
import io.portal.codec.FrameDecoder;
import io.portal.codec.FrameError;
import io.portal.codec.Messages;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.MessageType;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The connection actor alone: the test plays both of its streams with probes. */
class ConnectionActorTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration NONE = Duration.ofMillis(300);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static ConnectionSettings settings(int maxInFlight, long hard, long soft, Duration softDuration,
      Duration idle) {
    return new ConnectionSettings(maxInFlight, hard, soft, softDuration, 64 * 1024, idle, Duration.ofSeconds(5),
        1 << 20, 64, 64 * 1024);
  }

  /** One connection actor with probes for its inbound acks and its outbound stream. */
  private static final class Harness {
    final FakeStore store = new FakeStore();
    final ConnectionMetrics metrics = new ConnectionMetrics();
    final TestProbe<StreamAck> acks = testKit.createTestProbe();
    final TestProbe<Outbound> out = testKit.createTestProbe();
    final ActorRef<ConnectionActor.Command> actor;

    Harness(ConnectionSettings settings) {
      RequestHandler handler = new RequestHandler(store, settings.maxKeyBytes(), "test", () -> "node");
      actor = testKit.spawn(ConnectionActor.create(1, "test", settings, handler, metrics));
      actor.tell(new ConnectionActor.OutboundStarted(out.ref()));
      actor.tell(new ConnectionActor.InboundStarted(acks.ref()));
      acks.expectMessage(StreamAck.ACK);
    }

    void send(MessageLite request) {
      actor.tell(new ConnectionActor.InboundElement(frame(request), acks.ref()));
    }

    /** The responses in the next outbound batch. */
    List<MessageLite> nextBatch() {
      Outbound.Bytes bytes = assertInstanceOf(Outbound.Bytes.class, out.receiveMessage());
      return parse(bytes.bytes());
    }
  }

  /** {@code request} as the decoder hands it on. */
  static Frame frame(MessageLite request) {
    return new Frame(Messages.typeOf(request),
        org.apache.pekko.util.ByteString.fromArray(Messages.frameOf(request)).drop(FrameDecoder.HEADER_BYTES));
  }

  static List<MessageLite> parse(org.apache.pekko.util.ByteString bytes) {
    List<MessageLite> messages = new ArrayList<>();
    ByteBuffer buffer = bytes.asByteBuffer();
    while (buffer.hasRemaining()) {
      int type = buffer.getInt();
      int length = buffer.getInt();
      ByteBuffer payload = buffer.slice();
      payload.limit(length);
      buffer.position(buffer.position() + length);
      try {
        messages.add(Messages.parseResponse(type, payload));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    return messages;
  }

  private static GetRequest get(long id, String key) {
    return GetRequest.newBuilder().setRequestId(id).setKey(ByteString.copyFromUtf8(key)).build();
  }

  private static PingRequest ping(long id, int payloadBytes) {
    return PingRequest.newBuilder().setRequestId(id).setPayload(ByteString.copyFrom(new byte[payloadBytes])).build();
  }

  @Test
  void responsesLeaveInRequestOrderWhenTheStoreAnswersOutOfOrder() {
    Harness h = new Harness(settings(16, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ZERO));
    h.send(get(1, "a"));
    h.send(get(2, "b"));
    h.send(get(3, "c"));
    h.store.answer("c", "C", 3);
    h.store.answer("b", "B", 2);
    h.out.expectNoMessage(NONE); // "a" is still pending, so nothing may be released
    h.store.answer("a", "A", 1);
    List<MessageLite> responses = new ArrayList<>(h.nextBatch());
    while (responses.size() < 3) {
      h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
      responses.addAll(h.nextBatch());
    }
    assertEquals(List.of(1L, 2L, 3L), responses.stream().map(r -> ((GetResponse) r).getRequestId()).toList());
    assertEquals(List.of("A", "B", "C"),
        responses.stream().map(r -> ((GetResponse) r).getValue().toStringUtf8()).toList());
    assertEquals(List.of(1L, 2L, 3L), responses.stream().map(r -> ((GetResponse) r).getVersion()).toList());
  }

  @Test
  void getsSkipThePartitionOnlyWhileTheConnectionHasNoWriteInFlight() {
    Harness h = new Harness(settings(16, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ZERO));
    h.store.answer("a", "A", 1);
    h.send(get(1, "a"));
    assertEquals(1, ((GetResponse) h.nextBatch().get(0)).getVersion());
    h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
    assertEquals(1, h.store.committedReads.get());
    CompletableFuture<Long> write = new CompletableFuture<>();
    h.store.heldSets.put("b", write);
    h.send(SetRequest.newBuilder().setRequestId(2).setKey(ByteString.copyFromUtf8("b"))
        .setValue(ByteString.copyFromUtf8("B")).build());
    h.send(get(3, "a"));
    h.out.expectNoMessage(NONE);
    assertEquals(1, h.store.serialReads.get(), "behind its own write a get goes through the partition");
    write.complete(7L);
    List<MessageLite> answers = new ArrayList<>(h.nextBatch());
    while (answers.size() < 2) {
      h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
      answers.addAll(h.nextBatch());
    }
    assertEquals(7, ((SetResponse) answers.get(0)).getVersion());
    h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
    h.send(get(4, "a"));
    assertEquals(1, ((GetResponse) h.nextBatch().get(0)).getVersion());
    assertEquals(2, h.store.committedReads.get(), "the write was answered: committed reads again");
    assertEquals(1, h.store.serialReads.get());
  }

  @Test
  void stopsReadingAtTheInFlightLimitAndResumesWhenAnAnswerLeaves() {
    Harness h = new Harness(settings(2, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ZERO));
    h.send(get(1, "x"));
    h.acks.expectMessage(StreamAck.ACK); // 1 in flight
    h.send(get(2, "y"));
    h.acks.expectNoMessage(NONE); // 2 in flight = the limit: the next frame is not asked for
    h.store.answer("y", "Y", 1);
    h.acks.expectNoMessage(NONE); // "y" waits behind "x": still 2 in flight
    h.store.answer("x", "X", 1);
    h.acks.expectMessage(StreamAck.ACK);
    assertEquals(2, h.metrics.requests());
  }

  @Test
  void aBatchOfFramesIsHandledOnlyAsFarAsTheInFlightLimitAllows() {
    Harness h = new Harness(settings(2, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ZERO));
    List<Decoded> batch = new ArrayList<>();
    for (String key : List.of("a", "b", "c", "d")) {
      batch.add(frame(get(key.charAt(0), key)));
    }
    h.actor.tell(new ConnectionActor.InboundElement(batch, h.acks.ref()));
    h.acks.expectNoMessage(NONE);
    assertEquals(2, h.metrics.requests(), "only max-in-flight of the batch are handled");
    h.store.answer("a", "A", 1);
    h.acks.expectNoMessage(NONE); // "c" takes the freed slot; "d" still waits, so no more is read
    assertEquals(3, h.metrics.requests());
    h.store.answer("b", "B", 1);
    h.store.answer("c", "C", 1);
    h.acks.expectMessage(StreamAck.ACK); // the whole batch is handled and only "d" is in flight: read on
    assertEquals(4, h.metrics.requests());
    h.store.answer("d", "D", 1);
    List<MessageLite> answers = new ArrayList<>();
    while (answers.size() < 4) {
      answers.addAll(h.nextBatch());
      h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
    }
    assertEquals(List.of("A", "B", "C", "D"),
        answers.stream().map(r -> ((GetResponse) r).getValue().toStringUtf8()).toList());
  }

  @Test
  void framingErrorsAreAnsweredInPlaceAndFatalOnesClose() {
    Harness h = new Harness(settings(16, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ZERO));
    h.send(get(1, "slow"));
    h.actor.tell(new ConnectionActor.InboundElement(
        new FrameError(ErrorCode.UNKNOWN_MESSAGE_TYPE, "unknown message type 42 (0 payload bytes skipped)", false),
        h.acks.ref()));
    h.actor.tell(new ConnectionActor.InboundElement(
        new FrameError(ErrorCode.FRAME_TOO_LARGE, "frame payload length 9 exceeds maximum 8", true), h.acks.ref()));
    h.store.answer("slow", "v", 4);
    List<MessageLite> responses = new ArrayList<>(h.nextBatch());
    while (responses.size() < 3) {
      h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
      responses.addAll(h.nextBatch());
    }
    assertEquals(1L, ((GetResponse) responses.get(0)).getRequestId());
    assertEquals(ErrorCode.UNKNOWN_MESSAGE_TYPE, ((ErrorResponse) responses.get(1)).getCode());
    ErrorResponse fatal = (ErrorResponse) responses.get(2);
    assertEquals(ErrorCode.FRAME_TOO_LARGE, fatal.getCode());
    assertEquals("frame payload length 9 exceeds maximum 8", fatal.getMessage());
    h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
    assertInstanceOf(Outbound.Finish.class, h.out.receiveMessage());
    assertEquals(2, h.metrics.frameErrors());
  }

  @Test
  void outboundHardLimitClosesAtOnce() {
    Harness h = new Harness(settings(64, 10_000, 8_000, Duration.ofSeconds(60), Duration.ZERO));
    h.send(ping(1, 3_000));
    assertEquals(1, h.nextBatch().size()); // taken by the stream, never acked: the client does not read
    for (int i = 2; i <= 4; i++) {
      h.send(ping(i, 3_000)); // ~9 KB queued beside the 3 KB in the stream: over 10 000
    }
    Outbound.Abort abort = assertInstanceOf(Outbound.Abort.class, h.out.receiveMessage());
    assertEquals("outbound hard limit exceeded", abort.reason());
    testKit.createTestProbe().expectTerminated(h.actor);
    assertEquals(1, h.metrics.closedOutboundHard());
    assertEquals(0, h.metrics.closedOutboundSoft());
  }

  @Test
  void outboundSoftLimitClosesOnlyWhenExceededForTheWholeDuration() {
    Harness h = new Harness(settings(64, 1_000_000, 5_000, Duration.ofMillis(400), Duration.ZERO));
    h.send(ping(1, 3_000));
    h.nextBatch();
    h.send(ping(2, 3_000)); // 6 KB held: over the soft limit, under the hard one
    h.out.expectNoMessage(Duration.ofMillis(150));
    h.actor.tell(ConnectionActor.OutboundAck.INSTANCE); // the client reads: back under the soft limit
    assertEquals(1, h.nextBatch().size());
    h.out.expectNoMessage(Duration.ofMillis(600)); // would have fired at 400 ms had the clock not been reset
    assertEquals(0, h.metrics.closedOutboundSoft());

    h.send(ping(3, 3_000)); // over again, and this time it stays over
    Outbound.Abort abort = assertInstanceOf(Outbound.Abort.class, h.out.receiveMessage(Duration.ofSeconds(3)));
    assertEquals("outbound soft limit exceeded for too long", abort.reason());
    assertEquals(1, h.metrics.closedOutboundSoft());
  }

  @Test
  void idleConnectionIsClosedAndRequestsResetTheTimer() {
    Harness h = new Harness(settings(16, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ofMillis(500)));
    for (int i = 1; i <= 4; i++) {
      h.out.expectNoMessage(Duration.ofMillis(250));
      h.send(ping(i, 1));
      assertTrue(h.nextBatch().get(0) instanceof PingResponse);
      h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
    }
    // 1 s of traffic so far, each gap under 500 ms: still open
    assertEquals(0, h.metrics.closedIdle());
    assertInstanceOf(Outbound.Finish.class, h.out.receiveMessage(Duration.ofSeconds(2)));
    assertEquals(1, h.metrics.closedIdle());
    testKit.stop(h.actor);
  }

  @Test
  void timeoutFromTheStoreBecomesATimeoutError() {
    Harness h = new Harness(settings(16, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ZERO));
    h.send(get(9, "never"));
    h.store.pending("never").completeExceptionally(
        new io.portal.store.StoreTimeoutException("get", 3, Duration.ofMillis(5000)));
    ErrorResponse error = (ErrorResponse) h.nextBatch().get(0);
    assertEquals(9, error.getRequestId());
    assertEquals(ErrorCode.TIMEOUT, error.getCode());
    assertEquals("get on partition 3 did not complete within 5000 ms", error.getMessage());
    assertEquals(MessageType.ERROR_RESPONSE_VALUE, Messages.typeOf(error));
  }
}
