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
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The connection actor alone: the test plays both of its streams with probes. Timers run on manual time, and the
 * actor's clock is the test's, so the timing cases move time by hand.
 */
class ConnectionActorTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config());
  private static final ManualTime manualTime = ManualTime.get(testKit.system());
  private static final AtomicLong clock = new AtomicLong();
  private static final Duration NONE = Duration.ofMillis(300);

  /** Moves the actor's clock and its timers on by {@code duration}. */
  private static void timePasses(Duration duration) {
    clock.addAndGet(duration.toNanos());
    manualTime.timePasses(duration);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static ConnectionSettings settings(int maxInFlight, long hard, long soft, Duration softDuration,
      Duration idle) {
    return new ConnectionSettings(maxInFlight, hard, soft, softDuration, 64 * 1024, idle, Duration.ofSeconds(5),
        1 << 20, 64, 64 * 1024, Duration.ofSeconds(10), 4 << 20, 100);
  }

  /** One connection actor with probes for its inbound acks and its outbound stream. */
  private static final class Harness {
    final FakeStore store = new FakeStore();
    final ConnectionMetrics metrics = new ConnectionMetrics();
    final TestProbe<StreamAck> acks = testKit.createTestProbe();
    final TestProbe<Outbound> out = testKit.createTestProbe();
    final ActorRef<ConnectionActor.Command> actor;
    final ClientMemory memory;
    final ClientMemory.Account account;

    Harness(ConnectionSettings settings) {
      this(settings, new ClientMemory(1L << 40, 1L << 40, 1024));
    }

    Harness(ConnectionSettings settings, ClientMemory memory) {
      this.memory = memory;
      this.account = memory.open(settings.outboundSoftLimit());
      RequestHandler handler = new RequestHandler(store, settings.maxKeyBytes(), "test", () -> "node");
      actor = testKit.spawn(ConnectionActor.create(1, "test", settings, handler, metrics, account, clock::get));
      actor.tell(new ConnectionActor.OutboundStarted(out.ref()));
      actor.tell(new ConnectionActor.InboundStarted(acks.ref()));
      acks.expectMessage(StreamAck.ACK);
    }

    /** Hands the actor one frame, counted in the account as the decoder would have. */
    void send(MessageLite request) {
      Frame frame = frame(request);
      account.add(FrameDecoder.HEADER_BYTES + frame.payload().size());
      actor.tell(new ConnectionActor.InboundElement(frame, acks.ref()));
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
      Frame frame = frame(get(key.charAt(0), key));
      h.account.add(FrameDecoder.HEADER_BYTES + frame.payload().size());
      batch.add(frame);
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
  void overTheSoftLimitItStopsAdmittingAndReadingUntilTheClientTakesItsResponses() {
    Harness h = new Harness(settings(64, 100_000, 8_000, Duration.ofSeconds(60), Duration.ZERO));
    List<Decoded> batch = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      Frame frame = frame(ping(i, 3_000));
      h.account.add(FrameDecoder.HEADER_BYTES + frame.payload().size());
      batch.add(frame);
    }
    h.actor.tell(new ConnectionActor.InboundElement(batch, h.acks.ref()));
    List<MessageLite> answers = new ArrayList<>(h.nextBatch()); // in the stream, not taken: the client is not reading
    assertEquals(1, answers.size());
    h.acks.expectNoMessage(NONE);
    // the 15 KB still waiting count as read ahead: over the 8 KB soft limit, so nothing more is admitted
    assertEquals(1, h.metrics.requests());
    assertTrue(h.account.held() > 15_000 && h.account.held() < 20_000, "held " + h.account.held());
    while (answers.size() < 6) {
      h.actor.tell(ConnectionActor.OutboundAck.INSTANCE); // the client reads: admission goes on
      answers.addAll(h.nextBatch());
    }
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L),
        answers.stream().map(r -> ((PingResponse) r).getRequestId()).toList());
    h.acks.expectMessage(StreamAck.ACK); // the whole batch admitted and under the soft limit again: read on
    h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(0, h.account.held(), "all taken by the socket");
      return null;
    });
    assertEquals(0, h.metrics.closedOutboundHard() + h.metrics.closedOutboundSoft());
  }

  @Test
  void hardLimitIsCheckedAsEachResponseIsProduced() {
    Harness h = new Harness(settings(64, 10_000, 8_000, Duration.ofSeconds(60), Duration.ZERO));
    for (int i = 0; i < 4; i++) {
      h.send(get(i + 1, "k" + i)); // all four wait on the store: admitted before anything is produced
    }
    awaitRequests(h, 4);
    String big = "v".repeat(3_000);
    h.store.answer("k0", big, 1);
    assertEquals(1, h.nextBatch().size()); // taken by the stream, never acked: the client does not read
    h.store.answer("k1", big, 1);
    h.store.answer("k2", big, 1);
    h.out.expectNoMessage(NONE); // ~9 KB held, under 10 000
    h.store.answer("k3", big, 1); // ~12 KB: over the hard limit the moment it is produced
    Outbound.Abort abort = assertInstanceOf(Outbound.Abort.class, h.out.receiveMessage());
    assertEquals("outbound hard limit exceeded", abort.reason());
    testKit.createTestProbe().expectTerminated(h.actor);
    assertEquals(1, h.metrics.closedOutboundHard());
    assertEquals(0, h.account.held(), "an aborted connection releases everything it held");
    assertEquals(0, h.memory.total());
  }

  @Test
  void responsesThatWaitForAnOlderOneAreCountedToo() {
    Harness h = new Harness(settings(64, 10_000, 8_000, Duration.ofSeconds(60), Duration.ZERO));
    h.send(get(1, "slow"));
    for (int i = 2; i <= 5; i++) {
      h.send(get(i, "k" + i));
    }
    awaitRequests(h, 5); // all admitted before any answer shows how large answers are
    String big = "v".repeat(3_000);
    for (int i = 2; i <= 4; i++) {
      h.store.answer("k" + i, big, 1); // nothing can leave while "slow" is unanswered
    }
    h.out.expectNoMessage(NONE);
    assertTrue(h.account.held() > 9_000, "held " + h.account.held());
    h.store.answer("k5", big, 1);
    assertEquals("outbound hard limit exceeded",
        assertInstanceOf(Outbound.Abort.class, h.out.receiveMessage()).reason());
    assertEquals(1, h.metrics.closedOutboundHard());
  }

  @Test
  void softLimitClosesOnlyAClientThatTakesNothingForTheWholeDuration() {
    Harness h = new Harness(settings(64, 1_000_000, 5_000, Duration.ofSeconds(60), Duration.ZERO));
    h.send(ping(1, 3_000));
    h.nextBatch();
    h.send(ping(2, 3_000)); // 6 KB held: over the soft limit, under the hard one
    h.out.expectNoMessage(NONE);
    timePasses(Duration.ofSeconds(50));
    h.actor.tell(ConnectionActor.OutboundAck.INSTANCE); // the client takes a batch: the clock starts again
    assertEquals(1, h.nextBatch().size());
    h.send(ping(3, 3_000)); // still over: 6 KB
    h.out.expectNoMessage(NONE); // lets the actor start its clock before time moves
    timePasses(Duration.ofSeconds(50));
    h.out.expectNoMessage(NONE); // 100 s over the limit, but never 60 s without reading
    assertEquals(0, h.metrics.closedOutboundSoft());

    timePasses(Duration.ofSeconds(11)); // now 61 s since it last took anything
    Outbound.Abort abort = assertInstanceOf(Outbound.Abort.class, h.out.receiveMessage());
    assertEquals("outbound soft limit exceeded for too long", abort.reason());
    assertEquals(1, h.metrics.closedOutboundSoft());
  }

  @Test
  void overTheServersPauseLevelOnlyConnectionsAboveTheFloorStopReading() {
    ClientMemory memory = new ClientMemory(1_000_000, 50_000, 4_000);
    Harness big = new Harness(settings(64, 1_000_000, 500_000, Duration.ofSeconds(60), Duration.ZERO), memory);
    Harness small = new Harness(settings(64, 1_000_000, 500_000, Duration.ofSeconds(60), Duration.ZERO), memory);
    ClientMemory.Account other = memory.open(1_000_000);
    other.add(60_000); // someone else holds enough to put the server over its pause level
    big.send(ping(1, 10_000)); // admitted (nothing in flight), answered: 10 KB held, above the floor
    assertEquals(1, big.nextBatch().size());
    big.acks.expectNoMessage(NONE); // paused by the server
    small.send(ping(1, 10));
    assertEquals(1, small.nextBatch().size());
    small.acks.expectMessage(StreamAck.ACK); // under the floor: reads on
    other.add(-60_000);
    timePasses(Duration.ofMillis(50)); // the paused connection looks again
    big.acks.expectMessage(StreamAck.ACK);
  }

  @Test
  void overTheBudgetTheConnectionsHoldingTheMostAreClosedFirst() {
    ClientMemory memory = new ClientMemory(20_000, 20_000, 1_000);
    ConnectionMetrics metrics = new ConnectionMetrics();
    ActorRef<ConnectionManager.Command> manager = testKit.spawn(ConnectionManager.create(
        settings(64, 1_000_000, 500_000, Duration.ofSeconds(60), Duration.ZERO), 10,
        new RequestHandler(new FakeStore(), 64, "test", () -> "node"), metrics, memory));
    // three clients that never read: 4, 1 and 2 pings of 3 000 bytes; only the first puts the total over 20 000
    connectNonReadingClient(manager, 1, 3_000);
    connectNonReadingClient(manager, 2, 3_000);
    awaitTotalAbove(memory, 8_000);
    connectNonReadingClient(manager, 4, 3_000);
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(1, metrics.closedOverBudget());
      assertEquals(2, metrics.live());
      return null;
    });
    long total = memory.total();
    assertTrue(total > 8_000 && total < 20_000, "the two smaller clients still hold theirs: " + total);
  }

  private static void awaitRequests(Harness h, long requests) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(requests, h.metrics.requests());
      return null;
    });
  }

  /** Connects a client that sends {@code pings} pings of {@code bytes} each and never takes a byte of its answers. */
  private static void connectNonReadingClient(ActorRef<ConnectionManager.Command> manager, int pings, int bytes) {
    TestProbe<org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.util.ByteString,
        org.apache.pekko.util.ByteString, org.apache.pekko.NotUsed>> flows = testKit.createTestProbe();
    manager.tell(new ConnectionManager.Accept(new java.net.InetSocketAddress("127.0.0.1", 1000 + pings),
        flows.ref()));
    List<org.apache.pekko.util.ByteString> frames = new ArrayList<>();
    for (int i = 1; i <= pings; i++) {
      frames.add(org.apache.pekko.util.ByteString.fromArray(Messages.frameOf(ping(i, bytes))));
    }
    org.apache.pekko.stream.javadsl.Source.from(frames)
        .concat(org.apache.pekko.stream.javadsl.Source.never())
        .via(flows.receiveMessage())
        .runWith(org.apache.pekko.stream.javadsl.Sink.fromSubscriber(new NeverRequests()), testKit.system());
  }

  private static void awaitTotalAbove(ClientMemory memory, long bytes) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(memory.total() > bytes, "total " + memory.total());
      return null;
    });
  }

  /** A subscriber that never asks for an element: a client that never reads. */
  private static final class NeverRequests implements org.reactivestreams.Subscriber<org.apache.pekko.util.ByteString> {
    @Override
    public void onSubscribe(org.reactivestreams.Subscription subscription) {
    }

    @Override
    public void onNext(org.apache.pekko.util.ByteString item) {
    }

    @Override
    public void onError(Throwable failure) {
    }

    @Override
    public void onComplete() {
    }
  }

  @Test
  void writesWaitWhileTheStoreHasNoRoomAndTheConnectionStopsReading() {
    Harness h = new Harness(settings(64, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ZERO));
    h.store.acceptingWrites = false;
    h.send(SetRequest.newBuilder().setRequestId(1).setKey(ByteString.copyFromUtf8("k"))
        .setValue(ByteString.copyFromUtf8("v")).build());
    h.acks.expectNoMessage(NONE); // held back: nothing more is read
    assertEquals(0, h.store.sets.get());
    timePasses(Duration.ofMillis(50));
    h.out.expectNoMessage(NONE); // looked again, still no room
    h.store.acceptingWrites = true;
    timePasses(Duration.ofMillis(50));
    assertEquals(1, ((SetResponse) h.nextBatch().get(0)).getVersion());
    assertEquals(1, h.store.sets.get());
    h.acks.expectMessage(StreamAck.ACK);
  }

  @Test
  void idleConnectionIsClosedAndRequestsResetTheTimer() {
    Harness h = new Harness(settings(16, 1 << 20, 1 << 19, Duration.ofSeconds(60), Duration.ofSeconds(30)));
    for (int i = 1; i <= 4; i++) {
      timePasses(Duration.ofSeconds(20));
      h.send(ping(i, 1));
      assertTrue(h.nextBatch().get(0) instanceof PingResponse);
      h.actor.tell(ConnectionActor.OutboundAck.INSTANCE);
    }
    // 80 s of traffic so far, each gap under 30 s: still open
    h.out.expectNoMessage(NONE);
    assertEquals(0, h.metrics.closedIdle());
    timePasses(Duration.ofSeconds(31));
    assertInstanceOf(Outbound.Finish.class, h.out.receiveMessage());
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
