package io.portal.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Binds a TCP port and serves every accepted socket with the flow a handler supplies, joined to a
 * {@link SocketStage} over Pekko's TCP connection actor. Half-close is on: when the handler's flow stops reading,
 * the socket keeps draining what the client sends, and it closes only when the flow's outbound side finishes, so
 * that responses already queued are still written (a fatal frame error, for example, is reported before the
 * close). The handler answers asynchronously (connection setup may ask an actor); a handler that fails closes that
 * one socket, never the listener.
 *
 * <p>Why not Pekko Streams' own {@code Tcp().bind}: its stage asks the connection for every read
 * ({@code ResumeReading}) and for an ack of every write, two messages per request that this stage does without
 * (see {@link SocketStage}). GET at 50 connections, pipeline 1: docs/BENCHMARKS.md, "Ninth session".
 */
public final class TcpTransport {
  private TcpTransport() {
  }

  /** A bound listener. */
  public interface Binding {
    /** The address actually bound (port 0 resolves to the chosen port). */
    InetSocketAddress localAddress();

    /** Stops accepting; open connections are not touched. Completes when the port is released. */
    CompletionStage<Done> unbind();
  }

  /**
   * Binds {@code host:port} (port 0 picks a free one).
   *
   * @param backlog        TCP accept backlog
   * @param readHighWater  bytes read from a socket and not yet taken by its flow before reading it is suspended
   * @param writeHighWater bytes a socket could not take yet before its flow is backpressured
   * @param handler        called once per accepted socket with the client's address
   * @return completes when the port is bound, or fails with the bind error
   */
  public static CompletionStage<Binding> bind(ActorSystem<?> system, String host, int port, int backlog,
      int readHighWater, int writeHighWater,
      Function<InetSocketAddress, CompletionStage<Flow<ByteString, ByteString, NotUsed>>> handler) {
    if (readHighWater < 1 || writeHighWater < 1) {
      throw new IllegalArgumentException("high-water marks must be positive, not " + readHighWater + " and "
          + writeHighWater);
    }
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    InetSocketAddress address = new InetSocketAddress(host, port);
    // a system actor: the server's ActorSystem has a user guardian of its own, so nothing may be spawned beside it
    ActorRef listener = ((ExtendedActorSystem) Adapter.toClassic(system)).systemActorOf(
        SocketListener.props(address, backlog, readHighWater, writeHighWater, handler, bound),
        "tcp-listener-" + port + "-" + System.nanoTime());
    return bound.thenApply(local -> new Binding() {
      @Override
      public InetSocketAddress localAddress() {
        return local;
      }

      @Override
      public CompletionStage<Done> unbind() {
        CompletableFuture<Done> done = new CompletableFuture<>();
        listener.tell(new SocketListener.Unbind(done), ActorRef.noSender());
        return done;
      }
    });
  }
}
