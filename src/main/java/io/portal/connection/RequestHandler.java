package io.portal.connection;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.portal.codec.Frame;
import io.portal.codec.Messages;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.DeleteResponse;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.MessageType;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import io.portal.store.KvStore;
import io.portal.store.Versioned;
import io.portal.store.Write;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one request frame into its response: parse, validate, call the store, map the result. The returned stage
 * never fails: every failure becomes an {@code ErrorResponse} carrying the request's id (0 when the payload could
 * not be parsed). Thread-safe and stateless per request; one instance serves all connections.
 */
public final class RequestHandler {
  private static final Logger LOG = LoggerFactory.getLogger(RequestHandler.class);

  private final KvStore store;
  private final int maxKeyBytes;
  private final String serverVersion;
  private final Supplier<String> nodeId;

  /**
   * @param nodeId read at each HELLO; the server fills it in once its port is bound
   */
  public RequestHandler(KvStore store, int maxKeyBytes, String serverVersion, Supplier<String> nodeId) {
    this.store = store;
    this.maxKeyBytes = maxKeyBytes;
    this.serverVersion = serverVersion;
    this.nodeId = nodeId;
  }

  /**
   * The response to {@code frame}, whose type the decoder has already checked is a request type. Called on the
   * connection actor's thread, which owns {@code session} (HELLO changes it before this returns).
   *
   * @param noWritesInFlight the connection has no write of its own unanswered: a GET may then be answered from this
   *     node's copy of the partition ({@link KvStore#getCommitted}) without losing read-your-writes order
   */
  CompletionStage<MessageLite> handle(Frame frame, Session session, boolean noWritesInFlight) {
    MessageLite request;
    try {
      request = Messages.parseRequest(frame.type(), frame.payload().asByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      String type = String.valueOf(MessageType.forNumber(frame.type()));
      return done(ErrorMapper.error(0, ErrorCode.MALFORMED_PAYLOAD,
          type + " payload of " + frame.payload().size() + " bytes does not parse: " + e.getMessage()));
    }
    if (request instanceof GetRequest get) {
      return onGet(get, noWritesInFlight);
    } else if (request instanceof SetRequest set) {
      return onSet(set, session);
    } else if (request instanceof DeleteRequest delete) {
      return onDelete(delete, session);
    } else if (request instanceof PingRequest ping) {
      return done(PingResponse.newBuilder().setRequestId(ping.getRequestId()).setPayload(ping.getPayload()).build());
    } else if (request instanceof HelloRequest hello) {
      return onHello(hello, session);
    }
    // unreachable while Messages.parseRequest and this switch list the same types
    return done(ErrorMapper.error(0, ErrorCode.INTERNAL, "no handler for message type " + frame.type()));
  }

  /** False while the store would refuse {@code frame}, a write, for lack of room: the connection holds it back. */
  boolean acceptingWrite(Frame frame) {
    return store.acceptingWrite(frame.payload().size());
  }

  /** True for the request types that change the store. */
  static boolean isWrite(Frame frame) {
    return frame.type() == MessageType.SET_REQUEST_VALUE || frame.type() == MessageType.DELETE_REQUEST_VALUE;
  }

  private CompletionStage<MessageLite> onGet(GetRequest request, boolean committedIsEnough) {
    long id = request.getRequestId();
    Optional<String> invalid = Validation.checkGet(request, maxKeyBytes);
    if (invalid.isPresent()) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, invalid.get()));
    }
    CompletionStage<Optional<Versioned>> read = committedIsEnough
        ? store.getCommitted(request.getKey()) : store.get(request.getKey());
    return complete(id, read.thenApply(found -> {
      GetResponse.Builder response = GetResponse.newBuilder().setRequestId(id);
      found.ifPresent(v -> response.setFound(true).setValue(v.value()).setVersion(v.version()));
      return response.build();
    }));
  }

  private CompletionStage<MessageLite> onSet(SetRequest request, Session session) {
    long id = request.getRequestId();
    Optional<String> invalid = Validation.checkSet(request, maxKeyBytes);
    if (invalid.isPresent()) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, invalid.get()));
    }
    Write.Set write = new Write.Set(request.getKey(), request.getValue(), request.getTtlMillis(),
        expected(request.hasExpectedVersion(), request.getExpectedVersion()), session.originOf(id));
    return complete(id, store.set(write)
        .thenApply(version -> SetResponse.newBuilder().setRequestId(id).setVersion(version).build()));
  }

  private CompletionStage<MessageLite> onDelete(DeleteRequest request, Session session) {
    long id = request.getRequestId();
    Optional<String> invalid = Validation.checkDelete(request, maxKeyBytes);
    if (invalid.isPresent()) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, invalid.get()));
    }
    Write.Delete write = new Write.Delete(request.getKey(),
        expected(request.hasExpectedVersion(), request.getExpectedVersion()), session.originOf(id));
    return complete(id, store.delete(write)
        .thenApply(deleted -> DeleteResponse.newBuilder().setRequestId(id).setDeleted(deleted).build()));
  }

  private CompletionStage<MessageLite> onHello(HelloRequest request, Session session) {
    long id = request.getRequestId();
    Optional<String> invalid = Validation.checkHello(request);
    if (invalid.isPresent()) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, invalid.get()));
    }
    session.open(request.getClientId());
    return done(HelloResponse.newBuilder().setRequestId(id).setServerVersion(serverVersion)
        .setNodeId(nodeId.get()).build());
  }

  private static OptionalLong expected(boolean present, long version) {
    return present ? OptionalLong.of(version) : OptionalLong.empty();
  }

  private static CompletionStage<MessageLite> complete(long requestId, CompletionStage<? extends MessageLite> call) {
    return call.handle((response, failure) -> {
      if (failure == null) {
        return response;
      }
      if (ErrorMapper.codeOf(failure) == ErrorCode.INTERNAL) {
        LOG.error("request {} failed", requestId, ErrorMapper.unwrap(failure));
      }
      return ErrorMapper.toError(requestId, failure);
    });
  }

  private static CompletionStage<MessageLite> done(MessageLite response) {
    return CompletableFuture.completedFuture(response);
  }
}
