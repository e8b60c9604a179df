package io.portal.connection;

import com.google.protobuf.MessageLite;
import io.portal.codec.Decoded;
import io.portal.codec.Frame;
import io.portal.codec.FrameEncoder;
import io.portal.codec.FrameError;
import io.portal.codec.Messages;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.stream.KillSwitch;
import org.apache.pekko.util.ByteString;

/**
 * One client connection: owns its request context and enforces its limits. Created by {@link ConnectionManager}
 * when a connection is accepted; stops when the connection closes, and every piece of per-connection state (the
 * requests in flight, the responses waiting for their turn, the bytes held for the client, the timers) dies with it.
 *
 * <p>Inbound: decoded frames arrive one at a time from an {@code ActorSink} with backpressure; the actor acks each
 * frame while fewer than {@code maxInFlight} requests are unanswered, and otherwise withholds the ack until one is
 * answered, so the stream (and then TCP) stops reading. Requests go to the {@link RequestHandler} at once and may
 * complete in any order; responses are released to the client strictly in request order.
 *
 * <p>Outbound: responses are queued here and handed to the outbound stream one batch at a time (one batch in the
 * stream, the next once it is acked). The bytes held for the client are the queue plus the batch not yet taken.
 * Over {@code outboundHardLimit} the connection is aborted at once; over {@code outboundSoftLimit} continuously for
 * {@code outboundSoftDuration} it is aborted too. A connection that sends nothing for {@code idleTimeout} is closed.
 */
public final class ConnectionActor extends AbstractBehavior<ConnectionActor.Command> {

  /** Messages the connection actor understands. */
  public sealed interface Command {
  }

  /** The inbound stream has started; {@code ackTo} takes the acks. */
  public record InboundStarted(ActorRef<StreamAck> ackTo) implements Command {
  }

  /**
   * Decoded frames (or framing errors) from the inbound stream, in order, to be acked to {@code ackTo}: one, or
   * several when they arrived while the actor was busy (the stream batches them up to a byte budget).
   */
  public record InboundElement(List<Decoded> elements, ActorRef<StreamAck> ackTo) implements Command {
    public InboundElement(Decoded element, ActorRef<StreamAck> ackTo) {
      this(List.of(element), ackTo);
    }
  }

  /** The client finished sending (or the decoder stopped after a fatal error). */
  public enum InboundCompleted implements Command {
    INSTANCE
  }

  /** The inbound stream failed, typically a reset connection. */
  public record InboundFailed(Throwable cause) implements Command {
  }

  /** The outbound stream is running and accepts {@link Outbound} messages at {@code ref}. */
  public record OutboundStarted(ActorRef<Outbound> ref) implements Command {
  }

  /** Resets the socket even after the outbound stream has finished (a graceful close that timed out). */
  public record InboundSwitch(KillSwitch killSwitch) implements Command {
  }

  /** The outbound stream took the last batch and will take another. */
  public enum OutboundAck implements Command {
    INSTANCE
  }

  /** Graceful shutdown: stop reading, answer what is in flight, then close. */
  public enum Drain implements Command {
    INSTANCE
  }

  private record Responded(long seq, MessageLite response) implements Command {
  }

  private enum IdleCheck implements Command {
    INSTANCE
  }

  private enum SoftLimitCheck implements Command {
    INSTANCE
  }

  private enum CloseTimedOut implements Command {
    INSTANCE
  }

  private final long id;
  private final String remote;
  private final ConnectionSettings settings;
  private final RequestHandler handler;
  private final ConnectionMetrics metrics;
  private final TimerScheduler<Command> timers;
  private final Session session = new Session();

  /** Inbound ack target; set when the inbound stream starts. */
  private ActorRef<StreamAck> inboundAck;
  /** True when a frame was received and its ack is being held back. */
  private boolean ackWithheld;
  /** Outbound stream; null until it starts. */
  private ActorRef<Outbound> outbound;
  /** Cuts the inbound side; null until the stream starts. */
  private KillSwitch inboundSwitch;

  /** Sequence number the next request gets. */
  private long nextSeq;
  /** Sequence number of the oldest request not yet released to the client; nextSeq - headSeq are in flight. */
  private long headSeq;
  /** The latest write whose answer was awaited; none is in flight once headSeq has passed it. */
  private long lastWriteSeq = -1;
  /** Frames received but not yet handled because maxInFlight requests were unanswered (at most one batch). */
  private final ArrayDeque<Decoded> waiting = new ArrayDeque<>();
  /** Responses that completed before an older one, by sequence number. */
  private final Map<Long, ByteString> early = new HashMap<>();

  private final ArrayDeque<ByteString> queue = new ArrayDeque<>();
  private long queuedBytes;
  /** Size of the batch handed to the outbound stream and not yet acked; 0 when none. */
  private long unackedBytes;
  private boolean batchInStream;

  private long lastInboundNanos;
  private long softSinceNanos;
  /** Stopped reading: requests in flight are answered, then the outbound stream is finished. */
  private boolean closing;
  /** {@link Outbound.Finish} or {@link Outbound.Abort} was sent: nothing more goes to the client. */
  private boolean finished;
  private boolean inboundDone;
  private boolean outboundDone;

  private ConnectionActor(ActorContext<Command> context, TimerScheduler<Command> timers, long id, String remote,
      ConnectionSettings settings, RequestHandler handler, ConnectionMetrics metrics) {
    super(context);
    this.timers = timers;
    this.id = id;
    this.remote = remote;
    this.settings = settings;
    this.handler = handler;
    this.metrics = metrics;
    this.lastInboundNanos = System.nanoTime();
    if (!settings.idleTimeout().isZero()) {
      timers.startSingleTimer(IdleCheck.INSTANCE, IdleCheck.INSTANCE, settings.idleTimeout());
    }
  }

  /**
   * A connection actor; it waits for {@link InboundStarted} and {@link OutboundStarted} from its streams.
   *
   * @param id     connection id, unique per server, used in logs
   * @param remote the client's address, for logs
   */
  public static Behavior<Command> create(long id, String remote, ConnectionSettings settings, RequestHandler handler,
      ConnectionMetrics metrics) {
    return Behaviors.setup(context -> Behaviors.withTimers(
        timers -> new ConnectionActor(context, timers, id, remote, settings, handler, metrics)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(InboundStarted.class, this::onInboundStarted)
        .onMessage(InboundElement.class, this::onInboundElement)
        .onMessageEquals(InboundCompleted.INSTANCE, this::onInboundCompleted)
        .onMessage(InboundFailed.class, this::onInboundFailed)
        .onMessage(OutboundStarted.class, this::onOutboundStarted)
        .onMessage(InboundSwitch.class, this::onInboundSwitch)
        .onMessageEquals(OutboundAck.INSTANCE, this::onOutboundAck)
        .onMessage(Responded.class, this::onResponded)
        .onMessageEquals(Drain.INSTANCE, this::onDrain)
        .onMessageEquals(IdleCheck.INSTANCE, this::onIdleCheck)
        .onMessageEquals(SoftLimitCheck.INSTANCE, this::onSoftLimitCheck)
        .onMessageEquals(CloseTimedOut.INSTANCE, this::onCloseTimedOut)
        .onSignal(Terminated.class, this::onOutboundTerminated)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<Command> onInboundStarted(InboundStarted started) {
    inboundAck = started.ackTo();
    inboundAck.tell(StreamAck.ACK);
    return this;
  }

  private Behavior<Command> onInboundElement(InboundElement element) {
    inboundAck = element.ackTo();
    if (closing) {
      // the connection is on its way out: discard, but keep the stream moving so its end can arrive
      inboundAck.tell(StreamAck.ACK);
      return this;
    }
    lastInboundNanos = System.nanoTime();
    waiting.addAll(element.elements());
    ackWithheld = true; // released by afterChange once every frame of the batch is handled and there is room
    return afterChange();
  }

  /** Handles waiting frames while fewer than maxInFlight requests are unanswered. */
  private void admitWaiting() {
    while (!waiting.isEmpty() && !closing && inFlight() < settings.maxInFlight()) {
      handle(waiting.pollFirst());
    }
    if (closing) {
      waiting.clear(); // once closing, frames are discarded unread
    }
  }

  private void handle(Decoded decoded) {
    long seq = nextSeq++;
    metrics.requests.incrementAndGet();
    if (decoded instanceof FrameError error) {
      metrics.frameErrors.incrementAndGet();
      if (error.fatal()) {
        getContext().getLog().info("connection {} from {}: {} {}", id, remote, error.code(), error.message());
      } else {
        getContext().getLog().debug("connection {} from {}: {} {}", id, remote, error.code(), error.message());
      }
      respond(seq, ErrorMapper.error(0, error.code(), error.message()));
      if (error.fatal()) {
        beginClose();
      }
    } else if (decoded instanceof Frame frame) {
      CompletionStage<MessageLite> response = handler.handle(frame, session, lastWriteSeq < headSeq);
      CompletableFuture<MessageLite> future = response.toCompletableFuture();
      if (future.isDone() && !future.isCompletedExceptionally()) {
        respond(seq, future.join()); // answered without waiting (ping, hello, invalid input): no extra hop
      } else {
        if (RequestHandler.isWrite(frame)) {
          lastWriteSeq = seq;
        }
        getContext().pipeToSelf(response, (ok, failure) ->
            new Responded(seq, ok != null ? ok : ErrorMapper.toError(0, failure)));
      }
    }
  }

  private Behavior<Command> onResponded(Responded responded) {
    respond(responded.seq(), responded.response());
    return afterChange();
  }

  private Behavior<Command> onInboundCompleted() {
    inboundDone = true;
    if (finished && outboundDone) {
      return Behaviors.stopped();
    }
    beginClose();
    return afterChange();
  }

  private Behavior<Command> onInboundFailed(InboundFailed failed) {
    getContext().getLog().debug("connection {} from {}: inbound failed: {}", id, remote, failed.cause().toString());
    return abort("inbound stream failed: " + failed.cause().getMessage());
  }

  private Behavior<Command> onOutboundStarted(OutboundStarted started) {
    outbound = started.ref();
    getContext().watch(outbound);
    return afterChange();
  }

  private Behavior<Command> onInboundSwitch(InboundSwitch inbound) {
    inboundSwitch = inbound.killSwitch();
    return this;
  }

  private Behavior<Command> onOutboundAck() {
    batchInStream = false;
    unackedBytes = 0;
    return afterChange();
  }

  private Behavior<Command> onDrain() {
    beginClose();
    return afterChange();
  }

  private Behavior<Command> onIdleCheck() {
    long idleNanos = System.nanoTime() - lastInboundNanos;
    long limitNanos = settings.idleTimeout().toNanos();
    if (idleNanos < limitNanos) {
      timers.startSingleTimer(IdleCheck.INSTANCE, IdleCheck.INSTANCE, Duration.ofNanos(limitNanos - idleNanos));
      return this;
    }
    if (closing) {
      return this;
    }
    metrics.closedIdle.incrementAndGet();
    getContext().getLog().info("connection {} from {}: closed after {} ms without a request", id, remote,
        idleNanos / 1_000_000);
    beginClose();
    return afterChange();
  }

  private Behavior<Command> onSoftLimitCheck() {
    long held = heldBytes();
    if (softSinceNanos != 0 && held > settings.outboundSoftLimit()) {
      metrics.closedOutboundSoft.incrementAndGet();
      long overMillis = (System.nanoTime() - softSinceNanos) / 1_000_000;
      getContext().getLog().warn("connection {} from {}: closed: {} bytes held for the client exceeded the soft "
              + "limit {} for {} ms (limit {} ms)", id, remote, held, settings.outboundSoftLimit(), overMillis,
          settings.outboundSoftDuration().toMillis());
      return abort("outbound soft limit exceeded for too long");
    }
    return this;
  }

  private Behavior<Command> onCloseTimedOut() {
    getContext().getLog().info("connection {} from {}: graceful close timed out after {} ms with {} bytes unsent",
        id, remote, settings.closeTimeout().toMillis(), heldBytes());
    return abort("graceful close timed out");
  }

  private Behavior<Command> onOutboundTerminated(Terminated terminated) {
    outboundDone = true;
    if (!finished) {
      // the socket failed under the outbound stream: nothing more can be written
      return abort("outbound stream stopped");
    }
    // after Finish: the transport half-closes; the client's close (or the close timer) ends the inbound side
    return inboundDone ? Behaviors.stopped() : this;
  }

  private Behavior<Command> onPostStop(PostStop signal) {
    if (!finished) {
      abortStreams("connection actor stopped");
    }
    return this;
  }

  private long inFlight() {
    return nextSeq - headSeq;
  }

  private long heldBytes() {
    return queuedBytes + unackedBytes;
  }

  /** Records the response of request {@code seq}; releases it and any that waited for it, in order. */
  private void respond(long seq, MessageLite response) {
    ByteString bytes = FrameEncoder.encode(Messages.typeOf(response), response);
    if (seq != headSeq) {
      early.put(seq, bytes);
      return;
    }
    enqueue(bytes);
    headSeq++;
    ByteString next;
    while (!early.isEmpty() && (next = early.remove(headSeq)) != null) {
      enqueue(next);
      headSeq++;
    }
  }

  private void enqueue(ByteString bytes) {
    queue.addLast(bytes);
    queuedBytes += bytes.size();
  }

  private void beginClose() {
    if (!closing) {
      closing = true;
      timers.cancel(IdleCheck.INSTANCE);
      timers.startSingleTimer(CloseTimedOut.INSTANCE, CloseTimedOut.INSTANCE, settings.closeTimeout());
    }
  }

  /** Applies the outbound limits, writes what can be written, resumes reading, finishes a close. */
  private Behavior<Command> afterChange() {
    admitWaiting();
    long held = heldBytes();
    if (held > settings.outboundHardLimit()) {
      metrics.closedOutboundHard.incrementAndGet();
      getContext().getLog().warn("connection {} from {}: closed: {} bytes held for the client exceed the hard "
          + "limit {}", id, remote, held, settings.outboundHardLimit());
      return abort("outbound hard limit exceeded");
    }
    if (held > settings.outboundSoftLimit()) {
      if (softSinceNanos == 0) {
        softSinceNanos = System.nanoTime();
        timers.startSingleTimer(SoftLimitCheck.INSTANCE, SoftLimitCheck.INSTANCE, settings.outboundSoftDuration());
      }
    } else if (softSinceNanos != 0) {
      softSinceNanos = 0;
      timers.cancel(SoftLimitCheck.INSTANCE);
    }
    writeBatch();
    // once closing, frames are discarded unread, but the stream must keep moving for its end to arrive
    if (ackWithheld && waiting.isEmpty() && (closing || inFlight() < settings.maxInFlight()) && inboundAck != null) {
      ackWithheld = false;
      inboundAck.tell(StreamAck.ACK);
    }
    if (closing && inFlight() == 0 && queue.isEmpty() && !batchInStream && outbound != null && !finished) {
      finished = true;
      outbound.tell(new Outbound.Finish());
      // stay alive until the outbound stream stops (Terminated), or the close timer aborts
    }
    return this;
  }

  private void writeBatch() {
    if (outbound == null || batchInStream || queue.isEmpty()) {
      return;
    }
    ByteString batch = queue.pollFirst();
    while (!queue.isEmpty() && batch.size() + queue.peekFirst().size() <= settings.writeBatchBytes()) {
      batch = batch.concat(queue.pollFirst());
    }
    queuedBytes -= batch.size();
    unackedBytes = batch.size();
    batchInStream = true;
    outbound.tell(new Outbound.Bytes(batch));
  }

  private Behavior<Command> abort(String reason) {
    queue.clear();
    queuedBytes = 0;
    early.clear();
    abortStreams(reason);
    return Behaviors.stopped();
  }

  /** Resets the socket: through the outbound stream while it runs, else through the inbound kill switch. */
  private void abortStreams(String reason) {
    if (outbound != null && !finished && !outboundDone) {
      outbound.tell(new Outbound.Abort(reason));
    } else if (inboundSwitch != null && !inboundDone) {
      inboundSwitch.abort(new ConnectionFlow.ConnectionAbortedException(reason));
    }
    finished = true;
  }
}
