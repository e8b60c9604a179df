package io.portal.connection;

import io.portal.codec.FrameEncoder;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.MessageType;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Owns the live connections: spawns one {@link ConnectionActor} per accepted socket, refuses connections over
 * {@code maxConnections} with TOO_MANY_CONNECTIONS, frees a slot the moment a connection actor stops, and drains all
 * connections on shutdown. Enforces the server-wide {@link ClientMemory} budget: when all clients together hold more,
 * it closes the connections holding the most, largest first, until the rest fit. Lives as long as the server.
 */
public final class ConnectionManager extends AbstractBehavior<ConnectionManager.Command> {

  /** Messages the manager understands. */
  public sealed interface Command {
  }

  /** A socket was accepted; reply with the flow that serves it. */
  public record Accept(InetSocketAddress remote, ActorRef<Flow<ByteString, ByteString, NotUsed>> replyTo)
      implements Command {
  }

  /** Graceful shutdown: every connection stops reading, answers what is in flight and closes; then reply. */
  public record DrainAll(ActorRef<Done> replyTo) implements Command {
  }

  /** All clients together hold more than the budget. */
  private enum OverBudget implements Command {
    INSTANCE
  }

  private final ConnectionSettings settings;
  private final int maxConnections;
  private final RequestHandler handler;
  private final ConnectionMetrics metrics;
  private final ClientMemory memory;
  private final Map<ActorRef<ConnectionActor.Command>, ClientMemory.Account> connections = new HashMap<>();
  /** Connections told to close for the budget and not stopped yet: not counted again. */
  private final Set<ActorRef<ConnectionActor.Command>> evicted = new HashSet<>();
  private final List<ActorRef<Done>> drainWaiters = new ArrayList<>();
  private long nextId = 1;
  private boolean draining;

  private ConnectionManager(ActorContext<Command> context, ConnectionSettings settings, int maxConnections,
      RequestHandler handler, ConnectionMetrics metrics, ClientMemory memory) {
    super(context);
    this.memory = memory;
    ActorRef<Command> self = context.getSelf();
    memory.onOverBudget(() -> self.tell(OverBudget.INSTANCE));
    this.settings = settings;
    this.maxConnections = maxConnections;
    this.handler = handler;
    this.metrics = metrics;
  }

  public static Behavior<Command> create(ConnectionSettings settings, int maxConnections, RequestHandler handler,
      ConnectionMetrics metrics, ClientMemory memory) {
    return Behaviors.setup(context -> new ConnectionManager(context, settings, maxConnections, handler, metrics,
        memory));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Accept.class, this::onAccept)
        .onMessage(DrainAll.class, this::onDrainAll)
        .onMessageEquals(OverBudget.INSTANCE, this::onOverBudget)
        .onSignal(Terminated.class, this::onConnectionStopped)
        .build();
  }

  private Behavior<Command> onAccept(Accept accept) {
    String remote = accept.remote().getAddress().getHostAddress() + ":" + accept.remote().getPort();
    if (draining) {
      accept.replyTo().tell(refusal(ErrorCode.UNAVAILABLE, "server is shutting down"));
      return this;
    }
    if (connections.size() >= maxConnections) {
      metrics.rejectedTooMany.incrementAndGet();
      getContext().getLog().warn("refused connection from {}: {} connections open, limit {}", remote,
          connections.size(), maxConnections);
      accept.replyTo().tell(refusal(ErrorCode.TOO_MANY_CONNECTIONS,
          "too many connections: " + connections.size() + " open, limit " + maxConnections));
      return this;
    }
    long id = nextId++;
    ClientMemory.Account account = memory.open(settings.outboundSoftLimit());
    ActorRef<ConnectionActor.Command> connection = getContext().spawn(
        ConnectionActor.create(id, remote, settings, handler, metrics, account, System::nanoTime),
        "connection-" + id);
    getContext().watch(connection);
    connections.put(connection, account);
    metrics.accepted.incrementAndGet();
    metrics.live.incrementAndGet();
    getContext().getLog().debug("connection {} from {} accepted", id, remote);
    accept.replyTo().tell(ConnectionFlow.of(connection, settings, account));
    return this;
  }

  private Behavior<Command> onDrainAll(DrainAll drain) {
    draining = true;
    drainWaiters.add(drain.replyTo());
    connections.keySet().forEach(connection -> connection.tell(ConnectionActor.Drain.INSTANCE));
    replyIfDrained();
    return this;
  }

  private Behavior<Command> onConnectionStopped(Terminated terminated) {
    ClientMemory.Account account = connections.remove(terminated.getRef());
    if (account != null) {
      account.close(); // the actor closed it already, unless it failed
      metrics.live.decrementAndGet();
    }
    evicted.remove(terminated.getRef());
    replyIfDrained();
    return this;
  }

  /**
   * Closes the connections holding the most, largest first, until what the others hold fits the budget (Redis's
   * {@code maxmemory-clients}). Their bytes are released when they stop.
   */
  private Behavior<Command> onOverBudget() {
    long total = memory.total();
    long remaining = total;
    for (ActorRef<ConnectionActor.Command> connection : evicted) {
      remaining -= connections.get(connection).held();
    }
    if (remaining > memory.budget()) {
      List<Map.Entry<ActorRef<ConnectionActor.Command>, ClientMemory.Account>> largest =
          new ArrayList<>(connections.entrySet());
      largest.removeIf(entry -> evicted.contains(entry.getKey()) || entry.getValue().held() == 0);
      largest.sort(Comparator.comparingLong(
          (Map.Entry<ActorRef<ConnectionActor.Command>, ClientMemory.Account> entry) -> entry.getValue().held())
          .reversed());
      for (var entry : largest) {
        if (remaining <= memory.budget()) {
          break;
        }
        remaining -= entry.getValue().held();
        evicted.add(entry.getKey());
        entry.getKey().tell(new ConnectionActor.Evict(total, memory.budget()));
      }
    }
    memory.evictionDone();
    return this;
  }

  private void replyIfDrained() {
    if (draining && connections.isEmpty()) {
      drainWaiters.forEach(waiter -> waiter.tell(Done.getInstance()));
      drainWaiters.clear();
    }
  }

  /** A flow that writes one error frame and closes; the client's bytes are ignored. */
  private static Flow<ByteString, ByteString, NotUsed> refusal(ErrorCode code, String message) {
    ByteString frame = FrameEncoder.encode(MessageType.ERROR_RESPONSE_VALUE, ErrorMapper.error(0, code, message));
    return Flow.fromSinkAndSourceCoupled(Sink.ignore(), Source.single(frame));
  }
}
