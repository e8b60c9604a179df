package io.portal.transport;

import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.io.Tcp;
import org.apache.pekko.io.TcpMessage;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;
import scala.Tuple2;
import scala.runtime.BoxedUnit;

/**
 * One accepted socket as a flow: what is pushed in is written to the socket, what the socket receives comes out.
 * It talks to Pekko's TCP connection actor directly, reading in push mode (Pekko Streams' own TCP stage reads in pull
 * mode, one ResumeReading message per read) and writing like Pekko's stage (one write in flight with an ack; what
 * comes meanwhile is sent together after it).
 *
 * <pre>
 *   reading   push mode: the connection delivers every read without being asked. Backpressure: when more than
 *             readHighWater bytes wait for the flow, SuspendReading; ResumeReading once they are taken.
 *   writing   one Write at a time, acknowledged; elements pushed meanwhile wait here and go in the next one; the
 *             flow is not pulled while writeHighWater bytes wait.
 *   closing   the write side finished: Close if the read side is done too, else ConfirmedClose (half-close: the
 *             client's rest is still read). The read side cancelled: the socket keeps draining (reads are
 *             dropped) until the write side finishes. Pekko closes only after pending writes are written.
 *   failing   ErrorClosed (a reset, for example) fails the flow with the connection's reason; the connection actor
 *             stopping without a close event fails it too. The stage failing or stopping early aborts the socket.
 * </pre>
 */
final class SocketStage extends GraphStage<FlowShape<ByteString, ByteString>> {
  private final Inlet<ByteString> toSocket = Inlet.create("SocketStage.toSocket");
  private final Outlet<ByteString> fromSocket = Outlet.create("SocketStage.fromSocket");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(toSocket, fromSocket);
  private final ActorRef connection;
  private final int readHighWater;
  private final int writeHighWater;

  /**
   * @param connection     Pekko's TCP connection actor, not yet registered with anyone
   * @param readHighWater  bytes read but not yet taken by the flow before reading is suspended
   * @param writeHighWater bytes held back (the socket was full) before the flow stops being pulled
   */
  SocketStage(ActorRef connection, int readHighWater, int writeHighWater) {
    this.connection = connection;
    this.readHighWater = readHighWater;
    this.writeHighWater = writeHighWater;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new Logic();
  }

  /** The ack of a write: the connection has written it all to the socket. */
  private enum Written implements Tcp.Event {
    INSTANCE
  }

  /** Thrown into the flow when the socket fails (reset, for example). */
  static final class SocketFailure extends RuntimeException {
    SocketFailure(String message) {
      super(message);
    }
  }

  private final class Logic extends GraphStageLogic {
    private ActorRef self;
    private ByteString received = ByteString.emptyByteString();
    private boolean readingSuspended;
    private boolean peerClosed;
    /** Pushed by the flow while a write was in flight: sent together when it is acknowledged. */
    private ByteString unsent = ByteString.emptyByteString();
    private boolean writing;
    private boolean closeRequested;
    private boolean connectionClosed;

    Logic() {
      super(shape);
      setHandler(toSocket, new AbstractInHandler() {
        @Override
        public void onPush() {
          unsent = unsent.concat(grab(toSocket));
          if (!writing) {
            writeUnsent();
          }
          pullIfRoom();
        }

        @Override
        public void onUpstreamFinish() {
          if (!writing) {
            requestClose();
          } // else once the last write is acknowledged
        }

        @Override
        public void onUpstreamFailure(Throwable failure) {
          connection.tell(TcpMessage.abort(), self);
          failStage(failure);
        }
      });
      setHandler(fromSocket, new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (!received.isEmpty()) {
            push(fromSocket, received);
            received = ByteString.emptyByteString();
          }
          if (peerClosed) {
            complete(fromSocket);
          } else if (readingSuspended) {
            readingSuspended = false;
            connection.tell(TcpMessage.resumeReading(), self);
          }
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          received = ByteString.emptyByteString();
          if (readingSuspended) { // keep draining what the client sends until the write side is done
            readingSuspended = false;
            connection.tell(TcpMessage.resumeReading(), self);
          }
        }
      });
    }

    @Override
    public void preStart() {
      setKeepGoing(true); // both ports closed is not the end: the socket still has to close (connection events)
      StageActor actor = getStageActor(this::onMessage);
      self = actor.ref();
      actor.watch(connection);
      connection.tell(TcpMessage.register(self, true, false), self);
      pull(toSocket);
    }

    @Override
    public void postStop() {
      if (!connectionClosed && !closeRequested) {
        connection.tell(TcpMessage.abort(), ActorRef.noSender());
      }
    }

    private BoxedUnit onMessage(Tuple2<ActorRef, Object> message) {
      Object event = message._2();
      if (event instanceof Tcp.Received read) {
        onReceived(read.data());
      } else if (event == Written.INSTANCE) {
        writing = false;
        if (!unsent.isEmpty()) {
          writeUnsent();
          pullIfRoom();
        } else if (isClosed(toSocket)) {
          requestClose();
        }
      } else if (event == Tcp.PeerClosed$.MODULE$) {
        peerClosed = true;
        if (received.isEmpty() && !isClosed(fromSocket)) {
          complete(fromSocket);
        }
      } else if (event instanceof Tcp.ErrorClosed error) {
        connectionClosed = true;
        failStage(new SocketFailure("connection failed: " + error.cause()));
      } else if (event instanceof Tcp.ConnectionClosed) {
        connectionClosed = true;
        completeStage();
      } else if (event instanceof Terminated) {
        connectionClosed = true;
        if (closeRequested) {
          completeStage();
        } else {
          failStage(new SocketFailure("the TCP connection actor stopped"));
        }
      } else if (event instanceof Tcp.CommandFailed failed) {
        failStage(new SocketFailure("the TCP connection refused " + failed.cmd() + ": " + failed.causedByString()));
      }
      return BoxedUnit.UNIT;
    }

    private void onReceived(ByteString data) {
      if (isClosed(fromSocket)) {
        return; // the flow stopped reading: drain and drop
      }
      if (received.isEmpty() && isAvailable(fromSocket)) {
        push(fromSocket, data);
        return;
      }
      received = received.concat(data);
      if (!readingSuspended && received.size() >= readHighWater) {
        readingSuspended = true;
        connection.tell(TcpMessage.suspendReading(), self);
      }
    }

    private void pullIfRoom() {
      if (!isClosed(toSocket) && !hasBeenPulled(toSocket) && unsent.size() < writeHighWater) {
        pull(toSocket);
      }
    }

    private void writeUnsent() {
      writing = true;
      connection.tell(TcpMessage.write(unsent, Written.INSTANCE), self);
      unsent = ByteString.emptyByteString();
    }

    private void requestClose() {
      if (closeRequested) {
        return;
      }
      closeRequested = true;
      connection.tell(isClosed(fromSocket) ? TcpMessage.close() : TcpMessage.confirmedClose(), self);
    }
  }
}
