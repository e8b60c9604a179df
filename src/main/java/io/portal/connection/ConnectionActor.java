package io.portal.connection;

import com.google.protobuf.MessageLite;
import io.portal.codec.Decoded;
import io.portal.codec.Frame;
import io.portal.codec.FrameEncoder;
import io.portal.codec.FrameError;
import io.portal.codec.Messages;
import java.time.Duration;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.Event;
import io.portal.protocol.v1.WatchCanceled;
import io.portal.protocol.v1.WatchEvent;
import io.portal.store.Watch;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.ReceiveBuilder;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.stream.KillSwitch;
import org.apache.pekko.util.ByteString;

/**
 * One client connection: owns its request context and enforces its limits. Created by {@link ConnectionManager}
 * when a connection is accepted; stops when the connection closes, and every piece of per-connection state (the
 * requests in flight, the responses waiting for their turn, the bytes held for the client, the timers) dies with it.
 *
 * <p>Memory: one {@link ClientMemory.Account} counts every byte held for the client, from the moment its decoder
 * buffers a request's bytes until the socket takes the response: read-ahead and unfinished frames, requests admitted
 * and not answered, responses waiting for an older one ({@link ResponseSequencer}), responses queued and in the
 * stream ({@link OutboundBuffer}). A response is counted the moment it is produced, and the hard limit is checked
 * right then.
 *
 * <p>Backpressure before punishment: frames arrive in batches from an {@code ActorSink}; the actor admits them while
 * fewer than {@code maxInFlight} requests are unanswered and the account, plus what the requests still unanswered
 * are expected to produce, stays under the soft limit (or the server's pause level, see {@link ClientMemory}). It acks
 * a batch (asks for the next) only once every frame of it is admitted and the account allows reading, so a client
 * that pipelines faster than it reads is slowed by TCP, not reset. It is reset when the account passes the hard
 * limit, when the account stays over the soft limit for {@code outboundSoftDuration} without the client taking a
 * byte, or when the server closes the largest consumers because all clients together exceed the budget.
 *
 * <p>Lifecycle, one behavior each: <em>open</em> (reading and answering); <em>draining</em> (the client finished
 * sending, a fatal framing error, idle, or shutdown: nothing more is read, what is in flight is answered and
 * written); <em>closing</em> (everything was written and the outbound stream told to finish; waiting for both
 * streams to end, or the close timeout to reset the socket).
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

  /** All clients hold {@code totalBytes}, over {@code budgetBytes}, and this connection is among the largest. */
  record Evict(long totalBytes, long budgetBytes) implements Command {
  }

  private record Responded(long seq, MessageLite response, long requestBytes) implements Command {
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

  /** Open watch {@code id} (its id is already reserved in {@link ConnectionWatches}). */
  private record WatchOpen(long id, Watch.Spec spec) implements Command {
  }

  private record WatchStop(long id) implements Command {
  }

  /** Events of watch {@code id}, from its watch actor. */
  private record WatchEvents(long id, List<Watch.Event> events) implements Command {
  }

  /** Watch {@code id}'s position in {@code partition} is {@code revision}. */
  private record WatchProgress(long id, int partition, long revision) implements Command {
  }

  /** Watch {@code id} ended on its own (its history was compacted). */
  private record WatchEnded(long id, String reason, Map<Integer, Long> resumeAfter) implements Command {
  }

  /** The server's pause level held this connection back; look again. */
  private enum ResumeCheck implements Command {
    INSTANCE
  }

  private static final Duration RESUME_CHECK = Duration.ofMillis(20);

  /** Which behavior is current; the handlers all behaviors share consult it. */
  private enum Phase {
    OPEN, DRAINING, CLOSING
  }

  private final long id;
  private final String remote;
  private final ConnectionSettings settings;
  private final RequestHandler handler;
  private final ConnectionMetrics metrics;
  private final ClientMemory.Account account;
  private final TimerScheduler<Command> timers;
  private final LongSupplier nanoClock;
  private final Session session;
  private final ResponseSequencer sequencer = new ResponseSequencer();
  private final ConnectionWatches watchIds;
  /** Open watches: their actors, and per partition the revision of the last event pushed. */
  private final Map<Long, OpenWatch> watches = new HashMap<>();

  /**
   * An open watch: its actor, per partition its position as last known (from events and progress), and the progress
   * not yet told to the client.
   */
  private static final class OpenWatch {
    final ActorRef<Watch.Message> actor;
    final Map<Integer, Long> pushed;
    final Map<Integer, Long> untold = new HashMap<>();
    long toldAtNanos;

    OpenWatch(ActorRef<Watch.Message> actor, Map<Integer, Long> pushed) {
      this.actor = actor;
      this.pushed = pushed;
    }

    Map<Integer, Long> pushed() {
      return pushed;
    }

    ActorRef<Watch.Message> actor() {
      return actor;
    }
  }

  /** Progress without events is told to a watch's client at most this often (a partition's start at once). */
  private static final long PROGRESS_EVERY_NANOS = 1_000_000_000L;
  private final OutboundBuffer outbox = new OutboundBuffer();

  /** Frames received but not yet admitted (at most one inbound batch); their bytes are in the account. */
  private final ArrayDeque<Decoded> waiting = new ArrayDeque<>();
  /** Inbound ack target; set when the inbound stream starts. */
  private ActorRef<StreamAck> inboundAck;
  /** True when a batch was received and its ack is being held back. */
  private boolean ackWithheld;
  /** Outbound stream; null until it starts. */
  private ActorRef<Outbound> outbound;
  /** Cuts the inbound side; null until the stream starts. */
  private KillSwitch inboundSwitch;
  private boolean inboundDone;
  private boolean outboundDone;

  /** The latest write whose answer was awaited; none is in flight once the sequencer's head has passed it. */
  private long lastWriteSeq = -1;
  /** Requests handed to the store and not answered yet. */
  private int awaiting;
  /** The response size expected of a request not answered yet: the largest lately, decaying. */
  private long expectedResponseBytes;
  /** Set when a response took the account over the hard limit. */
  private boolean overHardLimit;
  /** Set when a fatal framing error was admitted: the connection drains. */
  private boolean framingLost;
  private Phase phase = Phase.OPEN;

  private long lastInboundNanos;
  /** Since when the account has been over the soft limit without the client taking a byte; 0 when it is not. */
  private long softSinceNanos;

  private final Receive<Command> draining;
  private final Receive<Command> closing;

  private ConnectionActor(ActorContext<Command> context, TimerScheduler<Command> timers, long id, String remote,
      ConnectionSettings settings, RequestHandler handler, ConnectionMetrics metrics, ClientMemory.Account account,
      LongSupplier nanoClock) {
    super(context);
    this.timers = timers;
    this.id = id;
    this.remote = remote;
    this.watchIds = new ConnectionWatches(context.getSelf(), settings.watchMaxOpen());
    this.session = new Session(remote, watchIds);
    this.settings = settings;
    this.handler = handler;
    this.metrics = metrics;
    this.account = account;
    this.nanoClock = nanoClock;
    this.lastInboundNanos = nanoClock.getAsLong();
    this.draining = drainingReceive();
    this.closing = closingReceive();
    if (!settings.idleTimeout().isZero()) {
      timers.startSingleTimer(IdleCheck.INSTANCE, IdleCheck.INSTANCE, settings.idleTimeout());
    }
  }

  /**
   * A connection actor; it waits for {@link InboundStarted} and {@link OutboundStarted} from its streams.
   *
   * @param id        connection id, unique per server, used in logs
   * @param remote    the client's address, for logs
   * @param account   the connection's byte account, shared with its decoder; closed when the actor stops
   * @param nanoClock time for the idle and soft-limit clocks ({@code System::nanoTime} outside tests)
   */
  public static Behavior<Command> create(long id, String remote, ConnectionSettings settings, RequestHandler handler,
      ConnectionMetrics metrics, ClientMemory.Account account, LongSupplier nanoClock) {
    return Behaviors.setup(context -> Behaviors.withTimers(
        timers -> new ConnectionActor(context, timers, id, remote, settings, handler, metrics, account, nanoClock)));
  }

  static Command openWatch(long id, Watch.Spec spec) {
    return new WatchOpen(id, spec);
  }

  static Command cancelWatch(long id) {
    return new WatchStop(id);
  }

  /** Handlers every behavior shares: stream set-up, answers, the socket's progress, limits. */
  private ReceiveBuilder<Command> common() {
    return newReceiveBuilder()
        .onMessage(InboundStarted.class, this::onInboundStarted)
        .onMessage(InboundFailed.class, this::onInboundFailed)
        .onMessage(OutboundStarted.class, this::onOutboundStarted)
        .onMessage(InboundSwitch.class, this::onInboundSwitch)
        .onMessageEquals(OutboundAck.INSTANCE, this::onOutboundAck)
        .onMessage(Responded.class, this::onResponded)
        .onMessage(Evict.class, this::onEvict)
        .onMessageEquals(SoftLimitCheck.INSTANCE, this::onSoftLimitCheck)
        .onMessageEquals(CloseTimedOut.INSTANCE, this::onCloseTimedOut)
        .onMessage(WatchOpen.class, this::onWatchOpen)
        .onMessage(WatchStop.class, stop -> {
          stopWatch(stop.id());
          return Behaviors.same();
        })
        .onMessage(WatchEvents.class, this::onWatchEvents)
        .onMessage(WatchProgress.class, this::onWatchProgress)
        .onMessage(WatchEnded.class, ended -> {
          metrics.watchesCompacted.incrementAndGet();
          return endWatch(ended.id(), ErrorCode.COMPACTED, ended.reason(), ended.resumeAfter());
        })
        .onSignal(PostStop.class, this::onPostStop);
  }

  /** Open: reading and answering. */
  @Override
  public Receive<Command> createReceive() {
    return common()
        .onMessage(InboundElement.class, this::onInboundElement)
        .onMessageEquals(InboundCompleted.INSTANCE, this::onInboundCompleted)
        .onMessageEquals(Drain.INSTANCE, this::onDrain)
        .onMessageEquals(IdleCheck.INSTANCE, this::onIdleCheck)
        .onMessageEquals(ResumeCheck.INSTANCE, this::afterChange)
        .onSignal(Terminated.class, this::onOutboundTerminated)
        .build();
  }

  /** Draining: nothing more is read; what is in flight is answered and written. */
  private Receive<Command> drainingReceive() {
    return common()
        .onMessage(InboundElement.class, this::discard)
        .onMessageEquals(InboundCompleted.INSTANCE, () -> {
          inboundDone = true;
          return afterChange();
        })
        .onMessageEquals(Drain.INSTANCE, () -> this.draining)
        .onMessageEquals(IdleCheck.INSTANCE, () -> this.draining)
        .onMessageEquals(ResumeCheck.INSTANCE, () -> this.draining)
        .onSignal(Terminated.class, this::onOutboundTerminated)
        .build();
  }

  /** Closing: all was written and the outbound stream told to finish; waiting for both streams to end. */
  private Receive<Command> closingReceive() {
    return common()
        .onMessage(InboundElement.class, this::discard)
        .onMessageEquals(InboundCompleted.INSTANCE, () -> {
          inboundDone = true;
          return outboundDone ? Behaviors.stopped() : this.closing;
        })
        .onMessageEquals(Drain.INSTANCE, () -> this.closing)
        .onMessageEquals(IdleCheck.INSTANCE, () -> this.closing)
        .onMessageEquals(ResumeCheck.INSTANCE, () -> this.closing)
        .onSignal(Terminated.class, signal -> {
          // after Finish: the transport half-closes; the client's close (or the close timer) ends the inbound side
          outboundDone = true;
          return inboundDone ? Behaviors.stopped() : this.closing;
        })
        .build();
  }

  private Behavior<Command> onInboundStarted(InboundStarted started) {
    inboundAck = started.ackTo();
    inboundAck.tell(StreamAck.ACK);
    return Behaviors.same();
  }

  private Behavior<Command> onInboundElement(InboundElement element) {
    inboundAck = element.ackTo();
    lastInboundNanos = nanoClock.getAsLong();
    waiting.addAll(element.elements());
    ackWithheld = true; // released by afterChange once every frame of the batch is admitted and reading is allowed
    return afterChange();
  }

  /** Once not open, frames are dropped unread, but the stream must keep moving for its end to arrive. */
  private Behavior<Command> discard(InboundElement element) {
    element.elements().forEach(decoded -> account.add(-decoded.wireBytes()));
    element.ackTo().tell(StreamAck.ACK);
    return Behaviors.same();
  }

  private Behavior<Command> onResponded(Responded responded) {
    awaiting--;
    respond(responded.seq(), responded.response(), responded.requestBytes());
    return afterChange();
  }

  private Behavior<Command> onInboundCompleted() {
    inboundDone = true;
    return beginDrain();
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
    return Behaviors.same();
  }

  private Behavior<Command> onOutboundAck() {
    long taken = outbox.taken();
    account.add(-taken);
    if (taken > 0 && softSinceNanos != 0) {
      restartSoftClock(); // the client reads: only a client that stops reading for the whole duration is cut off
    }
    return afterChange();
  }

  private Behavior<Command> onDrain() {
    return beginDrain();
  }

  private Behavior<Command> onIdleCheck() {
    long idleNanos = nanoClock.getAsLong() - lastInboundNanos;
    long limitNanos = settings.idleTimeout().toNanos();
    if (!watches.isEmpty()) { // a watching client waits for the server, as Redis spares its subscribers
      lastInboundNanos = nanoClock.getAsLong();
      idleNanos = 0;
    }
    if (idleNanos < limitNanos) {
      timers.startSingleTimer(IdleCheck.INSTANCE, IdleCheck.INSTANCE, Duration.ofNanos(limitNanos - idleNanos));
      return Behaviors.same();
    }
    metrics.closedIdle.incrementAndGet();
    getContext().getLog().info("connection {} from {}: closed after {} ms without a request", id, remote,
        idleNanos / 1_000_000);
    return beginDrain();
  }

  private Behavior<Command> onSoftLimitCheck() {
    long held = account.held();
    if (!stalled()) {
      softSinceNanos = 0; // it got going again meanwhile: the next stall starts a new clock
      return Behaviors.same();
    }
    long overNanos = nanoClock.getAsLong() - softSinceNanos;
    long limitNanos = settings.outboundSoftDuration().toNanos();
    if (overNanos < limitNanos) {
      timers.startSingleTimer(SoftLimitCheck.INSTANCE, SoftLimitCheck.INSTANCE,
          Duration.ofNanos(limitNanos - overNanos));
      return Behaviors.same();
    }
    metrics.closedOutboundSoft.incrementAndGet();
    getContext().getLog().warn("connection {} from {}: closed: the client took none of the {} bytes held for it for "
            + "{} ms (limit {} ms) while they were over the soft limit {} or the server over its pause level", id,
        remote, held, overNanos / 1_000_000, settings.outboundSoftDuration().toMillis(), settings.outboundSoftLimit());
    return abort("outbound soft limit exceeded for too long");
  }

  private Behavior<Command> onEvict(Evict evict) {
    metrics.closedOverBudget.incrementAndGet();
    getContext().getLog().warn("connection {} from {}: closed: it holds {} bytes, among the most of any connection, "
            + "while all clients hold {} bytes, over the budget {} (portal.memory.clients-budget)", id, remote,
        account.held(), evict.totalBytes(), evict.budgetBytes());
    return abort("server memory budget for clients exceeded");
  }

  private Behavior<Command> onCloseTimedOut() {
    getContext().getLog().info("connection {} from {}: graceful close timed out after {} ms with {} bytes unsent",
        id, remote, settings.closeTimeout().toMillis(), outbox.held());
    return abort("graceful close timed out");
  }

  private Behavior<Command> onOutboundTerminated(Terminated terminated) {
    // before Finish: the socket failed under the outbound stream, nothing more can be written
    outboundDone = true;
    return abort("outbound stream stopped");
  }

  private Behavior<Command> onPostStop(PostStop signal) {
    abortStreams("connection actor stopped");
    account.close();
    return Behaviors.same();
  }

  private Behavior<Command> onWatchOpen(WatchOpen open) {
    if (phase != Phase.OPEN) {
      watchIds.release(open.id());
      return Behaviors.same();
    }
    ActorRef<Command> self = getContext().getSelf();
    long id = open.id();
    Watch.Sink sink = new Watch.Sink() {
      @Override
      public void progress(int partition, long revision) {
        self.tell(new WatchProgress(id, partition, revision));
      }

      @Override
      public void events(List<Watch.Event> events) {
        self.tell(new WatchEvents(id, events));
      }

      @Override
      public void ended(boolean compacted, String reason, Map<Integer, Long> resumeAfter) {
        self.tell(new WatchEnded(id, reason, resumeAfter));
      }
    };
    ActorRef<Watch.Message> actor = getContext().spawnAnonymous(handler.watcher(open.spec(), sink));
    watches.put(id, new OpenWatch(actor, new HashMap<>(open.spec().after())));
    metrics.watchesOpened.incrementAndGet();
    return Behaviors.same();
  }

  /**
   * Pushes a watch's events to the client, counted like responses. When the bytes held for the client are already
   * over portal.watch.max-pending-bytes, the watch is cancelled instead (WATCH_TOO_SLOW), so a client that does not
   * keep up with its watches loses them, not the server its memory.
   */
  private Behavior<Command> onWatchEvents(WatchEvents delivered) {
    OpenWatch watch = watches.get(delivered.id());
    if (watch == null || phase != Phase.OPEN) {
      return Behaviors.same(); // cancelled meanwhile
    }
    WatchEvent.Builder frame = WatchEvent.newBuilder().setWatchId(delivered.id());
    for (Watch.Event e : delivered.events()) {
      if (!io.portal.auth.Users.reserved(e.key())) {
        frame.addEvents(Event.newBuilder().setKindValue(e.kind().ordinal()).setKey(e.key()).setValue(e.value())
            .setVersion(e.version()).setExpiresAtMillis(e.expiresAtMillis()).setPartition(e.partition())
            .setRevision(e.revision()));
      }
    }
    long held = account.held();
    if (held > settings.watchMaxPendingBytes()) {
      metrics.watchesTooSlow.incrementAndGet();
      getContext().getLog().warn("connection {} from {}: watch {} cancelled: {} bytes wait for the client, over {} "
          + "(portal.watch.max-pending-bytes)", id, remote, delivered.id(), held, settings.watchMaxPendingBytes());
      return endWatch(delivered.id(), ErrorCode.WATCH_TOO_SLOW, "the client did not take its events: " + held
          + " bytes were waiting for it, over the limit " + settings.watchMaxPendingBytes()
          + " (portal.watch.max-pending-bytes); read the keys again and watch from resume_after", watch.pushed());
    }
    delivered.events().forEach(e -> watch.pushed().put(e.partition(), e.revision()));
    if (frame.getEventsCount() > 0) {
      push(frame.build());
    }
    return afterChange();
  }

  private Behavior<Command> onWatchProgress(WatchProgress progress) {
    OpenWatch watch = watches.get(progress.id());
    if (watch == null || phase != Phase.OPEN) {
      return Behaviors.same();
    }
    boolean started = watch.pushed().put(progress.partition(), progress.revision()) == null;
    watch.untold.put(progress.partition(), progress.revision());
    long now = nanoClock.getAsLong();
    if (!started && now - watch.toldAtNanos < PROGRESS_EVERY_NANOS) {
      return Behaviors.same();
    }
    watch.toldAtNanos = now;
    push(WatchEvent.newBuilder().setWatchId(progress.id()).putAllProgress(watch.untold).build());
    watch.untold.clear();
    return afterChange();
  }

  /** Ends watch {@code id}: its actor stops and the client is told why, with where to resume. */
  private Behavior<Command> endWatch(long watchId, ErrorCode code, String reason, Map<Integer, Long> resumeAfter) {
    if (!watches.containsKey(watchId)) {
      return Behaviors.same();
    }
    stopWatch(watchId);
    push(WatchCanceled.newBuilder().setWatchId(watchId).setCode(code).setReason(reason).putAllResumeAfter(resumeAfter)
        .build());
    return afterChange();
  }

  private void stopWatch(long watchId) {
    OpenWatch watch = watches.remove(watchId);
    watchIds.release(watchId);
    if (watch != null) {
      getContext().stop(watch.actor());
      metrics.watchesClosed.incrementAndGet();
    }
  }

  /** A frame the server sends on its own (a watch's), straight to the outbound buffer, counted in the account. */
  private void push(MessageLite message) {
    outbox.add(encodeCounted(message, 0));
  }

  /** Admits waiting frames while the in-flight limit and the byte account allow. Returns false on the hard limit. */
  private boolean admitWaiting() {
    while (!waiting.isEmpty() && mayAdmit() && storeTakes(waiting.peekFirst())) {
      handle(waiting.pollFirst());
      if (overHardLimit) {
        return false;
      }
    }
    return true;
  }

  /**
   * True unless {@code next} is a write and the store's write budget is spent: the write then waits here (and the
   * connection stops reading) until the store has room, looked at again shortly.
   */
  private boolean storeTakes(Decoded next) {
    if (!(next instanceof Frame frame) || !RequestHandler.isWrite(frame) || handler.acceptingWrite(frame)) {
      return true;
    }
    lookAgainShortly();
    return false;
  }

  /**
   * True while another request may start: fewer than maxInFlight unanswered and the account, with what the unanswered
   * requests are expected to add, under the pause threshold. With nothing in flight and nothing to write one is
   * always admitted, so a lone request larger than the threshold cannot stall the connection.
   */
  private boolean mayAdmit() {
    if (framingLost || sequencer.unreleased() >= settings.maxInFlight()) {
      return false;
    }
    if (sequencer.unreleased() == 0 && outbox.isIdle()) {
      return true;
    }
    return account.mayTake(awaiting * expectedResponseBytes);
  }

  private void handle(Decoded decoded) {
    long seq = sequencer.register();
    long requestBytes = decoded.wireBytes();
    metrics.requests.incrementAndGet();
    if (decoded instanceof FrameError error) {
      metrics.frameErrors.incrementAndGet();
      if (error.timedOut()) {
        metrics.closedFrameTimeout.incrementAndGet();
      }
      if (error.fatal()) {
        getContext().getLog().info("connection {} from {}: {} {}", id, remote, error.code(), error.message());
      } else {
        getContext().getLog().debug("connection {} from {}: {} {}", id, remote, error.code(), error.message());
      }
      respond(seq, ErrorMapper.error(0, error.code(), error.message()), requestBytes);
      if (error.fatal()) {
        framingLost = true; // nothing after this frame is read: afterChange begins the drain
      }
    } else if (decoded instanceof Frame frame) {
      CompletionStage<MessageLite> response = handler.handle(frame, session, lastWriteSeq < sequencer.head());
      CompletableFuture<MessageLite> future = response.toCompletableFuture();
      if (future.isDone() && !future.isCompletedExceptionally()) {
        respond(seq, future.join(), requestBytes); // answered without waiting (local read, ping): no extra hop
      } else {
        if (RequestHandler.isWrite(frame)) {
          lastWriteSeq = seq;
        }
        awaiting++;
        getContext().pipeToSelf(response, (ok, failure) ->
            new Responded(seq, ok != null ? ok : ErrorMapper.toError(0, failure), requestBytes));
      }
    }
  }

  /**
   * Counts the response of request {@code seq} in the account (its request's bytes leave it) and releases it, and
   * any that waited for it, to the outbound buffer in order.
   */
  private void respond(long seq, MessageLite response, long requestBytes) {
    ByteString bytes = encodeCounted(response, requestBytes);
    expectedResponseBytes = Math.max(bytes.size(), expectedResponseBytes - (expectedResponseBytes >> 3));
    sequencer.complete(seq, bytes, outbox::add);
  }

  /**
   * {@code message} as a frame, counted in the account in place of {@code releasedBytes} (its request's), the hard
   * limit checked right then.
   */
  private ByteString encodeCounted(MessageLite message, long releasedBytes) {
    ByteString bytes = FrameEncoder.encode(Messages.typeOf(message), message);
    account.add(bytes.size() - releasedBytes);
    if (account.held() > settings.outboundHardLimit()) {
      overHardLimit = true;
    }
    return bytes;
  }

  /** Stops reading: what is in flight is answered and written, then the connection closes. */
  private Behavior<Command> beginDrain() {
    phase = Phase.DRAINING;
    timers.cancel(IdleCheck.INSTANCE);
    timers.cancel(ResumeCheck.INSTANCE);
    timers.startSingleTimer(CloseTimedOut.INSTANCE, CloseTimedOut.INSTANCE, settings.closeTimeout());
    waiting.forEach(rest -> account.add(-rest.wireBytes()));
    waiting.clear();
    if (ackWithheld && inboundAck != null) {
      ackWithheld = false;
      inboundAck.tell(StreamAck.ACK); // keep the stream moving so that its end arrives
    }
    return afterChange();
  }

  /**
   * After anything changed: admits what may be admitted, applies the limits, writes what can be written, reads on
   * if allowed, and finishes a drain. Returns the behavior of the phase it leaves the connection in.
   */
  private Behavior<Command> afterChange() {
    boolean withinHardLimit = phase != Phase.OPEN || admitWaiting();
    if (!withinHardLimit || overHardLimit) {
      metrics.closedOutboundHard.incrementAndGet();
      getContext().getLog().warn("connection {} from {}: closed: {} bytes held for the client exceed the hard "
          + "limit {}", id, remote, account.held(), settings.outboundHardLimit());
      return abort("outbound hard limit exceeded");
    }
    if (phase == Phase.OPEN && framingLost) {
      return beginDrain();
    }
    watchSoftLimit();
    writeBatch();
    switch (phase) {
      case OPEN:
        readOnIfAllowed();
        return this;
      case DRAINING:
        if (sequencer.unreleased() == 0 && outbox.isIdle() && outbound != null) {
          outbound.tell(new Outbound.Finish());
          phase = Phase.CLOSING;
          return closing; // until the outbound stream stops (Terminated), or the close timer aborts
        }
        return draining;
      default:
        return closing;
    }
  }

  /** Acks the inbound batch once all of it is admitted and the account allows reading more. */
  private void readOnIfAllowed() {
    if (!ackWithheld || !waiting.isEmpty() || inboundAck == null
        || sequencer.unreleased() >= settings.maxInFlight()) {
      return;
    }
    if (account.mayRead() || sequencer.unreleased() == 0 && outbox.isIdle()) {
      ackWithheld = false;
      inboundAck.tell(StreamAck.ACK);
    } else if (account.pausedByServer()) {
      lookAgainShortly();
    }
  }

  /** Something outside this connection holds it back (the server's pause level, the store's write budget). */
  private void lookAgainShortly() {
    if (!timers.isTimerActive(ResumeCheck.INSTANCE)) {
      timers.startSingleTimer(ResumeCheck.INSTANCE, ResumeCheck.INSTANCE, RESUME_CHECK);
    }
  }

  /**
   * True when the connection cannot go on until the client reads: over its soft limit, or held back by the server's
   * pause level with responses waiting for the client.
   */
  private boolean stalled() {
    return account.held() > settings.outboundSoftLimit() || account.pausedByServer() && !outbox.isIdle();
  }

  private void watchSoftLimit() {
    if (stalled()) {
      if (softSinceNanos == 0) {
        restartSoftClock();
      }
    } else if (softSinceNanos != 0) {
      softSinceNanos = 0;
      timers.cancel(SoftLimitCheck.INSTANCE);
    }
  }

  private void restartSoftClock() {
    softSinceNanos = nanoClock.getAsLong();
    timers.startSingleTimer(SoftLimitCheck.INSTANCE, SoftLimitCheck.INSTANCE, settings.outboundSoftDuration());
  }

  private void writeBatch() {
    if (outbound == null) {
      return;
    }
    ByteString batch = outbox.nextBatch(settings.writeBatchBytes());
    if (batch != null) {
      outbound.tell(new Outbound.Bytes(batch));
    }
  }

  private Behavior<Command> abort(String reason) {
    outbox.clear();
    sequencer.clear();
    waiting.clear();
    account.close();
    abortStreams(reason);
    return Behaviors.stopped();
  }

  /**
   * Resets the socket: through the outbound stream while it runs and was not told to finish, else through the inbound
   * kill switch. Once only.
   */
  private void abortStreams(String reason) {
    if (outbound != null && !outboundDone && phase != Phase.CLOSING) {
      outbound.tell(new Outbound.Abort(reason));
      outboundDone = true;
    } else if (inboundSwitch != null && !inboundDone) {
      inboundSwitch.abort(new ConnectionFlow.ConnectionAbortedException(reason));
      inboundDone = true;
    }
  }
}
