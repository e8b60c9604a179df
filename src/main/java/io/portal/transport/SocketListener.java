package io.portal.transport;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.io.Inet;
import org.apache.pekko.io.Tcp;
import org.apache.pekko.io.TcpMessage;
import org.apache.pekko.io.TcpSO;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket: binds with Pekko's TCP manager and joins every accepted connection, as a
 * {@link SocketStage}, to the flow the handler supplies for it. Owns nothing else; stopping it (unbind) closes the
 * port and leaves open connections alone.
 */
final class SocketListener extends AbstractActor {
  private static final Logger LOG = LoggerFactory.getLogger(SocketListener.class);

  /** Asks the listener to stop accepting; it replies {@link Done} when the port is released. */
  record Unbind(CompletableFuture<Done> done) {
  }

  private record Ready(ActorRef connection, Flow<ByteString, ByteString, NotUsed> flow) {
  }

  private final InetSocketAddress address;
  private final int backlog;
  private final int readHighWater;
  private final int writeHighWater;
  private final Function<InetSocketAddress, CompletionStage<Flow<ByteString, ByteString, NotUsed>>> handler;
  private final CompletableFuture<InetSocketAddress> bound;
  private final Materializer materializer;
  private ActorRef listener;
  private CompletableFuture<Done> unbound;

  private SocketListener(InetSocketAddress address, int backlog, int readHighWater, int writeHighWater,
      Function<InetSocketAddress, CompletionStage<Flow<ByteString, ByteString, NotUsed>>> handler,
      CompletableFuture<InetSocketAddress> bound) {
    this.address = address;
    this.backlog = backlog;
    this.readHighWater = readHighWater;
    this.writeHighWater = writeHighWater;
    this.handler = handler;
    this.bound = bound;
    this.materializer = Materializer.createMaterializer(getContext());
  }

  static Props props(InetSocketAddress address, int backlog, int readHighWater, int writeHighWater,
      Function<InetSocketAddress, CompletionStage<Flow<ByteString, ByteString, NotUsed>>> handler,
      CompletableFuture<InetSocketAddress> bound) {
    return Props.create(SocketListener.class,
        () -> new SocketListener(address, backlog, readHighWater, writeHighWater, handler, bound));
  }

  @Override
  public void preStart() {
    List<Inet.SocketOption> options = List.of(TcpSO.tcpNoDelay(true));
    Tcp.get(getContext().getSystem()).manager()
        .tell(TcpMessage.bind(getSelf(), address, backlog, options, false), getSelf());
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Tcp.Bound.class, b -> {
          listener = getSender();
          bound.complete(b.localAddress());
        })
        .match(Tcp.CommandFailed.class, failed -> {
          bound.completeExceptionally(new java.io.IOException("cannot bind " + address + ": "
              + failed.causedByString()));
          getContext().stop(getSelf());
        })
        .match(Tcp.Connected.class, this::onConnected)
        .match(Ready.class, ready -> Flow.fromGraph(
                new SocketStage(ready.connection(), readHighWater, writeHighWater))
            .join(ready.flow()).run(materializer))
        .match(Unbind.class, unbind -> {
          unbound = unbind.done();
          if (listener == null) {
            unbound.complete(Done.getInstance());
            getContext().stop(getSelf());
          } else {
            listener.tell(TcpMessage.unbind(), getSelf());
          }
        })
        .match(Tcp.Unbound.class, u -> {
          unbound.complete(Done.getInstance());
          getContext().stop(getSelf());
        })
        .build();
  }

  private void onConnected(Tcp.Connected connected) {
    ActorRef connection = getSender();
    ActorRef self = getSelf();
    handler.apply(connected.remoteAddress()).whenComplete((flow, failure) -> {
      if (failure != null) {
        LOG.error("setting up the connection from {} failed; closing it", connected.remoteAddress(), failure);
        connection.tell(TcpMessage.abort(), ActorRef.noSender());
      } else {
        self.tell(new Ready(connection, flow), ActorRef.noSender());
      }
    });
  }
}
