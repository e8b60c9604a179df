package io.portal.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.portal.codec.Frame;
import io.portal.codec.FrameDecoder;
import io.portal.codec.FrameEncoder;
import io.portal.codec.Messages;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.io.Tcp;
import org.apache.pekko.io.TcpMessage;
import org.apache.pekko.stream.javadsl.Flow;
import org.slf4j.LoggerFactory;

/**
 * How fast can a JVM serve Portal's protocol on this machine, with no connection actor, no partitions and no
 * journal: a bare in-memory map (SET, GET, PING) behind either
 * <ul>
 *   <li>{@code pekko}: Pekko Streams TCP through {@link TcpTransport} with Portal's {@link FrameDecoder}, Portal's
 *       dispatcher settings, and one {@code map} stage that answers each frame (the server's I/O layer alone), or</li>
 *   <li>{@code pekko-io}: Pekko's TCP layer without streams: the classic {@code Tcp} actor API in its default push
 *       mode (the connection reads again as soon as it has delivered), a classic actor per connection that answers
 *       the frames of each {@code Received} in one {@code Write}, or</li>
 *   <li>{@code nio}: one thread with a plain NIO selector, read interest always on, every complete frame in a read
 *       answered and written at once (the shape of Redis's event loop), or</li>
 *   <li>{@code nio-actor}: that loop reading and splitting frames, and a classic actor per connection (Portal's
 *       dispatcher settings) answering them and writing to the socket from its own thread: the shape of a transport
 *       of Portal's own in front of its connection actors.</li>
 * </ul>
 * Not a test: {@code bench/transport-ceiling.sh} runs it beside Portal and Redis, to show where the cost of a
 * pipeline-1 GET lies (docs/BENCHMARKS.md). Usage: {@code TransportCeilingProbe pekko|pekko-io|nio|nio-actor port}.
 */
public final class TransportCeilingProbe {
  private final ConcurrentHashMap<ByteString, ByteString> map = new ConcurrentHashMap<>();

  public static void main(String[] args) throws Exception {
    LoggerFactory.getLogger(TransportCeilingProbe.class); // SLF4J set up before Pekko logs
    TransportCeilingProbe probe = new TransportCeilingProbe();
    int port = Integer.parseInt(args[1]);
    switch (args[0]) {
      case "pekko" -> probe.servePekko(port);
      case "pekko-io" -> probe.servePekkoIo(port);
      case "nio" -> probe.serveNio(port, null);
      case "nio-actor" -> probe.serveNio(port, org.apache.pekko.actor.ActorSystem.create("probe", config()));
      default -> throw new IllegalArgumentException("mode must be pekko, pekko-io, nio or nio-actor, not " + args[0]);
    }
  }

  /** The answer to one request frame, as frame bytes. */
  byte[] answer(int type, ByteBuffer payload) {
    MessageLite response;
    try {
      MessageLite request = Messages.parseRequest(type, payload);
      if (request instanceof GetRequest get) {
        ByteString value = map.get(get.getKey());
        GetResponse.Builder builder = GetResponse.newBuilder().setRequestId(get.getRequestId());
        if (value != null) {
          builder.setFound(true).setValue(value).setVersion(1);
        }
        response = builder.build();
      } else if (request instanceof SetRequest set) {
        map.put(set.getKey(), set.getValue());
        response = SetResponse.newBuilder().setRequestId(set.getRequestId()).setVersion(1).build();
      } else if (request instanceof PingRequest ping) {
        response = PingResponse.newBuilder().setRequestId(ping.getRequestId()).setPayload(ping.getPayload()).build();
      } else {
        response = error("the probe answers SET, GET and PING only, not type " + type);
      }
    } catch (InvalidProtocolBufferException e) {
      response = error("payload of type " + type + " does not parse: " + e.getMessage());
    }
    return FrameEncoder.encodeToArray(Messages.typeOf(response), response);
  }

  private static MessageLite error(String message) {
    return ErrorResponse.newBuilder().setCode(ErrorCode.INVALID_ARGUMENT).setMessage(message).build();
  }

  /** Portal's dispatcher settings (src/main/resources/portal-pekko.conf), nothing else. */
  private static Config config() {
    return ConfigFactory.parseString("""
        pekko.loglevel = WARNING
        pekko.actor.default-dispatcher.throughput = 20
        pekko.actor.default-dispatcher.fork-join-executor { parallelism-min = 2, parallelism-factor = 1.0 }
        pekko.io.tcp.worker-dispatcher = "pekko.actor.default-dispatcher"
        """).withFallback(ConfigFactory.load());
  }

  private void servePekko(int port) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "probe", config());
    Flow<org.apache.pekko.util.ByteString, org.apache.pekko.util.ByteString, org.apache.pekko.NotUsed> flow =
        Flow.<org.apache.pekko.util.ByteString>create()
            .via(FrameDecoder.create(1 << 20, Messages::isRequestType))
            .map(decoded -> org.apache.pekko.util.ByteString.fromArrayUnsafe(
                answer(((Frame) decoded).type(), ((Frame) decoded).payload().asByteBuffer())));
    TcpTransport.bind(system, "127.0.0.1", port, 1024, null, remote -> CompletableFuture.completedFuture(flow))
        .thenAccept(binding -> System.out.println("pekko probe listening on " + binding.localAddress()));
  }

  private void servePekkoIo(int port) {
    org.apache.pekko.actor.ActorSystem.create("probe", config())
        .actorOf(Props.create(IoListener.class, () -> new IoListener(port)), "listener");
  }

  /** Binds the port with Pekko's TCP manager and gives each connection an {@link IoConnection}. */
  private final class IoListener extends AbstractActor {
    private final int port;

    IoListener(int port) {
      this.port = port;
    }

    @Override
    public void preStart() {
      Tcp.get(getContext().getSystem()).manager()
          .tell(TcpMessage.bind(getSelf(), new InetSocketAddress("127.0.0.1", port), 1024), getSelf());
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(Tcp.Bound.class, bound -> System.out.println("pekko-io probe listening on " + bound.localAddress()))
          .match(Tcp.CommandFailed.class, failed -> {
            System.err.println("bind failed: " + failed);
            System.exit(1);
          })
          .match(Tcp.Connected.class, connected -> {
            ActorRef connection = getSender();
            ActorRef handler =
                getContext().actorOf(Props.create(IoConnection.class, () -> new IoConnection(connection)));
            connection.tell(TcpMessage.register(handler), getSelf());
          })
          .build();
    }
  }

  /** One client over Pekko's TCP actor: frames not yet complete, and answers waiting for the last write's ack. */
  private final class IoConnection extends AbstractActor {
    private final ActorRef connection;
    private org.apache.pekko.util.ByteString pending = org.apache.pekko.util.ByteString.emptyByteString();
    private org.apache.pekko.util.ByteString unsent = org.apache.pekko.util.ByteString.emptyByteString();
    private boolean writing;

    IoConnection(ActorRef connection) {
      this.connection = connection;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(Tcp.Received.class, received -> {
            pending = pending.concat(received.data());
            ByteBuffer buffer = pending.asByteBuffer();
            int consumed = 0;
            while (buffer.remaining() - consumed >= FrameDecoder.HEADER_BYTES) {
              int type = buffer.getInt(consumed);
              int length = buffer.getInt(consumed + 4);
              if (buffer.remaining() - consumed < FrameDecoder.HEADER_BYTES + length) {
                break;
              }
              unsent = unsent.concat(org.apache.pekko.util.ByteString.fromArrayUnsafe(
                  answer(type, buffer.slice(consumed + FrameDecoder.HEADER_BYTES, length))));
              consumed += FrameDecoder.HEADER_BYTES + length;
            }
            pending = pending.drop(consumed);
            flush();
          })
          .match(Written.class, written -> {
            writing = false;
            flush();
          })
          .match(Tcp.ConnectionClosed.class, closed -> getContext().stop(getSelf()))
          .build();
    }

    private void flush() {
      if (!writing && !unsent.isEmpty()) {
        writing = true;
        connection.tell(TcpMessage.write(unsent, Written.INSTANCE), getSelf());
        unsent = org.apache.pekko.util.ByteString.emptyByteString();
      }
    }
  }

  /**
   * Answers the frames the NIO loop hands it (those of one read in one message) and writes the answers on its own
   * thread. A full socket buffer is waited
   * out by writing again (a probe's shortcut; a product would hand the rest back to the loop).
   */
  private final class NioAnswerer extends AbstractActor {
    private final SocketChannel channel;

    NioAnswerer(SocketChannel channel) {
      this.channel = channel;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(byte[].class, frames -> {
            ByteBuffer buffer = ByteBuffer.wrap(frames);
            java.io.ByteArrayOutputStream answers = new java.io.ByteArrayOutputStream();
            for (int at = 0; at < frames.length; ) {
              int length = buffer.getInt(at + 4);
              answers.writeBytes(answer(buffer.getInt(at), buffer.slice(at + FrameDecoder.HEADER_BYTES, length)));
              at += FrameDecoder.HEADER_BYTES + length;
            }
            ByteBuffer out = ByteBuffer.wrap(answers.toByteArray());
            while (out.hasRemaining()) {
              channel.write(out);
            }
          })
          .build();
    }
  }

  /** The ack of an {@link IoConnection}'s write. */
  private static final class Written implements Tcp.Event {
    static final Written INSTANCE = new Written();
  }

  /** Serves with one selector thread; with {@code actors} set, each connection's frames are answered by an actor. */
  private void serveNio(int port, org.apache.pekko.actor.ActorSystem actors) throws IOException {
    Selector selector = Selector.open();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress("127.0.0.1", port), 1024);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    System.out.println("nio probe listening on " + server.getLocalAddress());
    while (true) {
      selector.select();
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        try {
          if (key.isAcceptable()) {
            SocketChannel channel = server.accept();
            if (channel != null) {
              channel.configureBlocking(false);
              channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
              ActorRef answerer = actors == null ? null
                  : actors.actorOf(Props.create(NioAnswerer.class, () -> new NioAnswerer(channel)));
              channel.register(selector, SelectionKey.OP_READ, new NioConnection(answerer));
            }
          } else {
            ((NioConnection) key.attachment()).onReady(key);
          }
        } catch (IOException e) {
          key.cancel();
          key.channel().close();
        }
      }
    }
  }

  /** One client of the NIO loop: what it sent and has not been answered yet, and answers not yet written. */
  private final class NioConnection {
    /** Answers the frames when set; the loop then only reads and splits them. */
    private final ActorRef answerer;
    private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    private ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);

    NioConnection(ActorRef answerer) {
      this.answerer = answerer;
    }

    void onReady(SelectionKey key) throws IOException {
      SocketChannel channel = (SocketChannel) key.channel();
      if (key.isReadable()) {
        int read = channel.read(in);
        if (read < 0) {
          key.cancel();
          channel.close();
          return;
        }
        in.flip();
        while (in.remaining() >= FrameDecoder.HEADER_BYTES) {
          int type = in.getInt(in.position());
          int length = in.getInt(in.position() + 4);
          if (in.remaining() < FrameDecoder.HEADER_BYTES + length) {
            if (FrameDecoder.HEADER_BYTES + length > in.capacity()) {
              throw new IOException("frame of " + length + " bytes exceeds the probe's buffer");
            }
            break;
          }
          if (answerer != null) {
            in.position(in.position() + FrameDecoder.HEADER_BYTES + length);
            continue;
          }
          ByteBuffer payload = in.slice(in.position() + FrameDecoder.HEADER_BYTES, length);
          in.position(in.position() + FrameDecoder.HEADER_BYTES + length);
          byte[] answer = answer(type, payload);
          if (out.remaining() < answer.length) {
            ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(out.capacity() * 2, out.position() + answer.length));
            out.flip();
            bigger.put(out);
            out = bigger;
          }
          out.put(answer);
        }
        if (answerer != null && in.position() > 0) {
          byte[] frames = new byte[in.position()]; // every complete frame of this read, for the actor in one message
          in.get(0, frames);
          answerer.tell(frames, ActorRef.noSender());
        }
        in.compact();
      }
      if (out.position() > 0) {
        out.flip();
        channel.write(out);
        out.compact();
      }
      key.interestOps(out.position() > 0 ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }
  }
}
