package io.portal.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.io.Inet;
import org.apache.pekko.io.TcpSO;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSClosing$;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a TCP port and serves every accepted socket with the flow a handler supplies. Half-close is on: when the
 * handler's flow stops reading, the socket keeps draining what the client sends, and it closes only when the flow's
 * outbound side finishes, so that responses already queued are still written (a fatal frame error, for example, is
 * reported before the close). The handler answers
 * asynchronously (connection setup may ask an actor); a handler that fails closes that one socket, never the
 * listener.
 */
public final class TcpTransport {
  private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
  /** Sockets being set up at once; setup is a single actor ask, so this only bounds a burst of accepts. */
  private static final int SETUP_PARALLELISM = 64;

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
   * @param backlog TCP accept backlog
   * @param tls     makes a server-side TLS engine per connection; null for plain TCP. A peer that fails the
   *                handshake (plain TCP, an untrusted certificate) fails the handler's flow, which closes it
   * @param handler called once per accepted socket with the client's address
   * @return completes when the port is bound, or fails with the bind error
   */
  public static CompletionStage<Binding> bind(ActorSystem<?> system, String host, int port, int backlog,
      Supplier<SSLEngine> tls,
      Function<InetSocketAddress, CompletionStage<Flow<ByteString, ByteString, NotUsed>>> handler) {
    Materializer materializer = Materializer.matFromSystem(system);
    List<Inet.SocketOption> options = List.of(TcpSO.tcpNoDelay(true));
    Tcp tcp = Tcp.get(system);
    Source<Tcp.IncomingConnection, CompletionStage<Tcp.ServerBinding>> accepted = tls == null
        ? tcp.bind(host, port, backlog, options, true, Optional.<java.time.Duration>empty())
        // the handler's flow may stop reading while its responses are still written: ignore that cancellation
        : tcp.bindWithTls(host, port, tls::get, backlog, options, Optional.<java.time.Duration>empty(),
            session -> Optional.empty(), TLSClosing$.MODULE$.ignoreCancel());
    return accepted
        .mapAsyncUnordered(SETUP_PARALLELISM, connection -> handler.apply(connection.remoteAddress())
            .handle((flow, failure) -> {
              if (failure != null) {
                LOG.error("setting up the connection from {} failed; closing it", connection.remoteAddress(), failure);
                connection.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), materializer);
              } else {
                connection.handleWith(counted(flow), materializer);
              }
              return Done.getInstance();
            }))
        .to(Sink.ignore())
        .run(materializer)
        .thenApply(binding -> new Binding() {
          @Override
          public InetSocketAddress localAddress() {
            return binding.localAddress();
          }

          @Override
          public CompletionStage<Done> unbind() {
            return binding.unbind().thenApply(ignored -> Done.getInstance());
          }
        });
  }

  private static final Counter RECEIVED = Counter.builder("portal.bytes.received")
      .description("bytes read from client connections (TLS: after decryption)").register(Metrics.globalRegistry);
  private static final Counter SENT = Counter.builder("portal.bytes.sent")
      .description("bytes written to client connections (TLS: before encryption)").register(Metrics.globalRegistry);

  /** {@code flow} with the bytes it takes and gives counted. */
  private static Flow<ByteString, ByteString, NotUsed> counted(Flow<ByteString, ByteString, NotUsed> flow) {
    return Flow.of(ByteString.class).map(bytes -> {
      RECEIVED.increment(bytes.size());
      return bytes;
    }).via(flow).map(bytes -> {
      SENT.increment(bytes.size());
      return bytes;
    });
  }
}
