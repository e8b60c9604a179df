package io.portal.connection;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.ByteString;
import io.portal.KeyText;
import io.portal.auth.Permissions;
import io.portal.auth.Users;
import io.portal.auth.proto.Grant;
import io.portal.codec.Frame;
import io.portal.codec.Messages;
import io.portal.protocol.v1.AuthRequest;
import io.portal.protocol.v1.AuthResponse;
import io.portal.protocol.v1.BackupRequest;
import io.portal.protocol.v1.BackupResponse;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.DeleteResponse;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.MessageType;
import io.portal.protocol.v1.Permission;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.BatchOp;
import io.portal.protocol.v1.BatchRequest;
import io.portal.protocol.v1.BatchResponse;
import io.portal.protocol.v1.BatchResult;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.ExpireRequest;
import io.portal.protocol.v1.ExpireResponse;
import io.portal.protocol.v1.KeyValue;
import io.portal.protocol.v1.TxnRequest;
import io.portal.protocol.v1.WatchCancelRequest;
import io.portal.protocol.v1.WatchCancelResponse;
import io.portal.protocol.v1.WatchRequest;
import io.portal.protocol.v1.WatchResponse;
import io.portal.protocol.v1.ScanRequest;
import io.portal.protocol.v1.ScanResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import io.portal.protocol.v1.StatusRequest;
import io.portal.protocol.v1.StatusResponse;
import io.portal.protocol.v1.UserAdminRequest;
import io.portal.protocol.v1.UserAdminResponse;
import io.portal.store.KeyOrder;
import io.portal.store.KvStore;
import io.portal.store.Scan;
import io.portal.store.Txn;
import io.portal.store.Watch;
import io.portal.store.Versioned;
import io.portal.store.Write;
import java.util.ArrayList;
import java.util.List;
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
  /** Users and roles when clients must authenticate; null when anyone may do anything. */
  private final Users users;
  private final RefusalLog refusals = new RefusalLog();
  private final NodeControl control;
  private final RequestLimits limits;

  /**
   * @param nodeId read at each HELLO; the server fills it in once its port is bound
   */
  public RequestHandler(KvStore store, int maxKeyBytes, String serverVersion, Supplier<String> nodeId) {
    this(store, maxKeyBytes, serverVersion, nodeId, null);
  }

  /** With {@code users} (null: authentication off), every request but PING, HELLO and AUTH needs an AUTH first. */
  public RequestHandler(KvStore store, int maxKeyBytes, String serverVersion, Supplier<String> nodeId, Users users) {
    this(store, maxKeyBytes, serverVersion, nodeId, users, null, RequestLimits.DEFAULTS);
  }

  /**
   * With {@code control} (null: STATUS reports the version and node id alone, BACKUP is refused) and the limits of
   * SCAN pages.
   */
  public RequestHandler(KvStore store, int maxKeyBytes, String serverVersion, Supplier<String> nodeId, Users users,
      NodeControl control, RequestLimits limits) {
    this.store = store;
    this.maxKeyBytes = maxKeyBytes;
    this.serverVersion = serverVersion;
    this.nodeId = nodeId;
    this.users = users;
    this.control = control;
    this.limits = limits;
  }

  /**
   * The response to {@code frame}, whose type the decoder has already checked is a request type. Called on the
   * connection actor's thread, which owns {@code session} (HELLO changes it before this returns).
   *
   * @param noWritesInFlight the connection has no write of its own unanswered: a GET may then be answered from this
   *     node's copy of the partition ({@link KvStore#getCommitted}) without losing read-your-writes order
   */
  CompletionStage<MessageLite> handle(Frame frame, Session session, boolean noWritesInFlight) {
    long start = System.nanoTime();
    return answer(frame, session, noWritesInFlight).whenComplete((response, failure) ->
        RequestMetrics.record(frame.type(), response, System.nanoTime() - start));
  }

  private CompletionStage<MessageLite> answer(Frame frame, Session session, boolean noWritesInFlight) {
    MessageLite request;
    try {
      request = Messages.parseRequest(frame.type(), frame.payload().asByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      String type = String.valueOf(MessageType.forNumber(frame.type()));
      return done(ErrorMapper.error(0, ErrorCode.MALFORMED_PAYLOAD,
          type + " payload of " + frame.payload().size() + " bytes does not parse: " + e.getMessage()));
    }
    if (request instanceof GetRequest get) {
      return allowed(session, get.getRequestId(), get.getKey(), false, () -> onGet(get, noWritesInFlight));
    } else if (request instanceof SetRequest set) {
      return allowed(session, set.getRequestId(), set.getKey(), true, () -> onSet(set, session));
    } else if (request instanceof DeleteRequest delete) {
      return allowed(session, delete.getRequestId(), delete.getKey(), true, () -> onDelete(delete, session));
    } else if (request instanceof ScanRequest scanRequest) {
      return onScan(scanRequest, session);
    } else if (request instanceof ExpireRequest expire) {
      return allowed(session, expire.getRequestId(), expire.getKey(), true, () -> onExpire(expire, session));
    } else if (request instanceof BatchRequest batch) {
      return onBatch(batch, session, noWritesInFlight);
    } else if (request instanceof TxnRequest txn) {
      return onTxn(txn, session);
    } else if (request instanceof WatchRequest watch) {
      return onWatch(watch, session);
    } else if (request instanceof WatchCancelRequest cancel) {
      return done(WatchCancelResponse.newBuilder().setRequestId(cancel.getRequestId())
          .setExisted(session.watches().cancel(cancel.getWatchId())).build());
    } else if (request instanceof PingRequest ping) {
      return done(PingResponse.newBuilder().setRequestId(ping.getRequestId()).setPayload(ping.getPayload()).build());
    } else if (request instanceof HelloRequest hello) {
      return onHello(hello, session);
    } else if (request instanceof AuthRequest auth) {
      return onAuth(auth, session);
    } else if (request instanceof UserAdminRequest admin) {
      return onUserAdmin(admin, session);
    } else if (request instanceof StatusRequest statusRequest) {
      long id = statusRequest.getRequestId();
      return users == null ? done(statusOf(id)) : permitted(session, id, permissions -> done(statusOf(id)));
    } else if (request instanceof BackupRequest backup) {
      return users == null ? onBackup(backup) : permitted(session, backup.getRequestId(), permissions ->
          permissions.admin() ? onBackup(backup) : refuse(session, backup.getRequestId(), ErrorCode.PERMISSION_DENIED,
              "user '" + permissions.user() + "' may not take backups: only root may"));
    }
    // unreachable while Messages.parseRequest and this switch list the same types
    return done(ErrorMapper.error(0, ErrorCode.INTERNAL, "no handler for message type " + frame.type()));
  }

  /** The behavior of a watch the connection opens (see {@link KvStore#watcher}). */
  org.apache.pekko.actor.typed.Behavior<Watch.Message> watcher(Watch.Spec spec, Watch.Sink sink) {
    return store.watcher(spec, sink);
  }

  /** False while the store would refuse {@code frame}, a write, for lack of room: the connection holds it back. */
  boolean acceptingWrite(Frame frame) {
    return store.acceptingWrite(frame.payload().size());
  }

  /** True for the request types that change the store. */
  static boolean isWrite(Frame frame) {
    int type = frame.type();
    return type == MessageType.SET_REQUEST_VALUE || type == MessageType.DELETE_REQUEST_VALUE
        || type == MessageType.EXPIRE_REQUEST_VALUE || type == MessageType.BATCH_REQUEST_VALUE
        || type == MessageType.TXN_REQUEST_VALUE;
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
      found.ifPresent(v -> response.setFound(true).setValue(v.value()).setVersion(v.version())
          .setExpiresAtMillis(v.expiresAtMillis())
          .setTtlMillis(Validation.ttlLeft(v.expiresAtMillis(), System.currentTimeMillis())));
      return response.build();
    }));
  }

  private CompletionStage<MessageLite> onScan(ScanRequest request, Session session) {
    long id = request.getRequestId();
    Optional<String> invalid = Validation.checkScan(request, maxKeyBytes, limits.scanMaxLimit());
    if (invalid.isPresent()) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, invalid.get()));
    }
    boolean byPrefix = !request.getPrefix().isEmpty();
    ByteString start = byPrefix ? request.getPrefix() : request.getStart();
    ByteString end = byPrefix ? KeyOrder.prefixEnd(request.getPrefix()) : request.getEnd();
    if (users == null) {
      return scanFrom(id, request, start, end);
    }
    return permitted(session, id, permissions -> permissions.canReadRange(start, end)
        ? scanFrom(id, request, start, end)
        : refuse(session, id, ErrorCode.PERMISSION_DENIED, "user '" + permissions.user() + "' may not read every key "
            + "from '" + KeyText.printable(start) + "' to '" + KeyText.printable(end) + "': no role grants read "
            + "access to a prefix holding that whole range"));
  }

  private CompletionStage<MessageLite> scanFrom(long id, ScanRequest request, ByteString start, ByteString end) {
    ByteString from = start;
    if (!request.getAfter().isEmpty()) {
      ByteString next = request.getAfter().concat(ByteString.copyFrom(new byte[] {0}));
      if (KeyOrder.compare(next, from) > 0) {
        from = next;
      }
    }
    if (!end.isEmpty() && KeyOrder.compare(from, end) >= 0) {
      return done(ScanResponse.newBuilder().setRequestId(id).build());
    }
    int limit = request.getLimit() == 0 ? limits.scanDefaultLimit() : request.getLimit();
    return complete(id, store.scan(new Scan.Query(from, end, limit, limits.scanPageBytes(), request.getKeysOnly()))
        .thenApply(page -> {
          ScanResponse.Builder response = ScanResponse.newBuilder().setRequestId(id).setMore(page.more())
              .setContinuation(page.continuation());
          for (Scan.Item item : page.items()) {
            if (!Users.reserved(item.key())) {
              response.addEntries(KeyValue.newBuilder().setKey(item.key()).setValue(item.entry().value())
                  .setVersion(item.entry().version()).setExpiresAtMillis(item.entry().expiresAtMillis()));
            }
          }
          return response.build();
        }));
  }

  private CompletionStage<MessageLite> onExpire(ExpireRequest request, Session session) {
    long id = request.getRequestId();
    Optional<String> invalid = Validation.checkExpire(request, maxKeyBytes);
    if (invalid.isPresent()) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, invalid.get()));
    }
    long expiresAt = request.getTtlMillis() == 0 ? 0 : System.currentTimeMillis() + request.getTtlMillis();
    Write.Expire write = new Write.Expire(request.getKey(), request.getTtlMillis(),
        expected(request.hasExpectedVersion(), request.getExpectedVersion()), session.originOf(id));
    return complete(id, store.expire(write).thenApply(version -> {
      ExpireResponse.Builder response = ExpireResponse.newBuilder().setRequestId(id).setFound(version > 0)
          .setVersion(version);
      return (version > 0 ? response.setExpiresAtMillis(expiresAt) : response).build();
    }));
  }

  /** Each op on its own, as if sent alone without a session; answered together, each result in its op's place. */
  private CompletionStage<MessageLite> onBatch(BatchRequest request, Session session, boolean noWritesInFlight) {
    long id = request.getRequestId();
    if (request.getOpsCount() > limits.maxBatchOps()) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, "a batch of " + request.getOpsCount()
          + " ops exceeds the maximum " + limits.maxBatchOps() + " (portal.protocol.max-batch-ops)"));
    }
    List<CompletableFuture<MessageLite>> results = new ArrayList<>();
    for (int i = 0; i < request.getOpsCount(); i++) {
      BatchOp op = request.getOps(i);
      CompletionStage<MessageLite> result = switch (op.getOpCase()) {
        case GET -> {
          GetRequest get = op.getGet().toBuilder().setRequestId(0).build();
          yield allowed(session, 0, get.getKey(), false, () -> onGet(get, noWritesInFlight));
        }
        case SET -> {
          SetRequest set = op.getSet().toBuilder().setRequestId(0).build();
          yield allowed(session, 0, set.getKey(), true, () -> onSet(set, session));
        }
        case DELETE -> {
          DeleteRequest delete = op.getDelete().toBuilder().setRequestId(0).build();
          yield allowed(session, 0, delete.getKey(), true, () -> onDelete(delete, session));
        }
        case OP_NOT_SET -> done(ErrorMapper.error(0, ErrorCode.INVALID_ARGUMENT, "op " + i + " is empty"));
      };
      results.add(result.toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(all -> {
      BatchResponse.Builder response = BatchResponse.newBuilder().setRequestId(id);
      for (CompletableFuture<MessageLite> result : results) {
        MessageLite answer = result.join();
        BatchResult.Builder entry = BatchResult.newBuilder();
        if (answer instanceof GetResponse get) {
          entry.setGet(get);
        } else if (answer instanceof SetResponse set) {
          entry.setSet(set);
        } else if (answer instanceof DeleteResponse delete) {
          entry.setDelete(delete);
        } else {
          entry.setError((ErrorResponse) answer);
        }
        response.addResults(entry);
      }
      return response.build();
    });
  }

  private CompletionStage<MessageLite> onTxn(TxnRequest request, Session session) {
    long id = request.getRequestId();
    Txn.Request txn;
    try {
      txn = TxnRequests.toStore(request, maxKeyBytes, limits.maxTxnOps());
    } catch (IllegalArgumentException e) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, e.getMessage()));
    }
    for (ByteString key : txn.keys()) {
      if (Users.reserved(key)) {
        return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, RESERVED));
      }
    }
    Supplier<CompletionStage<MessageLite>> run = () -> complete(id, store.txn(txn)
        .thenApply(result -> TxnRequests.toWire(id, result, System.currentTimeMillis())));
    if (users == null) {
      return run.get();
    }
    return permitted(session, id, permissions -> {
      for (Txn.Compare compare : txn.compares()) {
        if (!permissions.canRead(compare.key())) {
          return denied(session, id, permissions, compare.key(), false);
        }
      }
      for (Txn.Op op : concat(txn.success(), txn.failure())) {
        boolean write = !(op instanceof Txn.Get);
        if (write ? !permissions.canWrite(op.key()) : !permissions.canRead(op.key())) {
          return denied(session, id, permissions, op.key(), write);
        }
      }
      return run.get();
    });
  }

  private CompletionStage<MessageLite> onWatch(WatchRequest request, Session session) {
    long id = request.getRequestId();
    Optional<String> invalid = request.getPrefix() ? (request.getKey().size() > maxKeyBytes
        ? Optional.of("prefix of " + request.getKey().size() + " bytes exceeds the largest key, " + maxKeyBytes)
        : Optional.empty()) : Validation.checkKey(request.getKey(), maxKeyBytes);
    if (invalid.isEmpty() && request.getAfterVersion() != 0 && (request.getPrefix() || request.getAfterCount() > 0
        || request.getAfterVersion() < 0)) {
      invalid = Optional.of("after_version " + request.getAfterVersion() + " resumes a key watch by the key's "
          + "version: positive, without prefix or after");
    }
    if (invalid.isPresent()) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, invalid.get()));
    }
    Supplier<CompletionStage<MessageLite>> open = () -> {
      Optional<String> refused = session.watches().open(request.getWatchId(),
          new Watch.Spec(request.getKey(), request.getPrefix(), request.getAfterMap(), request.getAfterVersion()));
      return done(refused.isPresent() ? ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, refused.get())
          : WatchResponse.newBuilder().setRequestId(id).setWatchId(request.getWatchId()).build());
    };
    if (users == null) {
      return open.get();
    }
    return permitted(session, id, permissions -> permissions.canRead(request.getKey()) ? open.get()
        : denied(session, id, permissions, request.getKey(), false));
  }

  private static List<Txn.Op> concat(List<Txn.Op> a, List<Txn.Op> b) {
    List<Txn.Op> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
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

  /**
   * Runs {@code call} if the connection may read (or write) {@code key}: always when authentication is off, else once
   * the connection's AUTH is checked and grants it. Reserved keys are refused to everyone.
   */
  private CompletionStage<MessageLite> allowed(Session session, long id, ByteString key, boolean write,
      Supplier<CompletionStage<MessageLite>> call) {
    if (Users.reserved(key)) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, RESERVED));
    }
    if (users == null) {
      return call.get();
    }
    return permitted(session, id, permissions -> {
      if (write ? permissions.canWrite(key) : permissions.canRead(key)) {
        return call.get();
      }
      return denied(session, id, permissions, key, write);
    });
  }

  private static final String RESERVED = "keys starting with \\0portal/ are reserved for Portal's own records";

  private CompletionStage<MessageLite> denied(Session session, long id, Permissions permissions, ByteString key,
      boolean write) {
    return refuse(session, id, ErrorCode.PERMISSION_DENIED, "user '" + permissions.user() + "' may not "
        + (write ? "write" : "read") + " key '" + KeyText.printable(key) + "': its roles grant "
        + (write ? "write" : "read") + " access to no prefix of it");
  }

  /** Runs {@code call} with the connection's permissions once its AUTH is checked; UNAUTHENTICATED without one. */
  private CompletionStage<MessageLite> permitted(Session session, long id,
      java.util.function.Function<Permissions, CompletionStage<MessageLite>> call) {
    CompletableFuture<Permissions> granted = session.permissions();
    if (granted == null) {
      return refuse(session, id, ErrorCode.UNAUTHENTICATED, "authenticate first: this server takes only "
          + "PING, HELLO and AUTH before a successful AUTH (portal.auth.enabled)");
    }
    return granted.handle((permissions, failure) -> failure == null ? call.apply(permissions)
        : refuse(session, id, ErrorCode.UNAUTHENTICATED, "authenticate first: this connection's last AUTH "
            + "failed")).thenCompose(stage -> stage);
  }

  private CompletionStage<MessageLite> refuse(Session session, long id, ErrorCode code, String message) {
    refusals.refused(session.remote(), code, message);
    return done(ErrorMapper.error(id, code, message));
  }

  private CompletionStage<MessageLite> onAuth(AuthRequest request, Session session) {
    long id = request.getRequestId();
    if (users == null) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, "authentication is off on this server "
          + "(portal.auth.enabled = off): AUTH is not needed"));
    }
    CompletableFuture<Permissions> outcome = users.authenticate(request.getUser(), request.getPassword(),
        session.remote()).toCompletableFuture();
    session.authenticating(outcome);
    return outcome.handle((permissions, failure) -> {
      if (failure != null) {
        return ErrorMapper.toError(id, failure);
      }
      AuthResponse.Builder response = AuthResponse.newBuilder().setRequestId(id).setUser(permissions.user());
      permissions.grants().forEach(grant -> response.addPermissions(Permission.newBuilder()
          .setPrefix(grant.getPrefix()).setWrite(grant.getWrite())));
      return response.build();
    });
  }

  private CompletionStage<MessageLite> onUserAdmin(UserAdminRequest request, Session session) {
    long id = request.getRequestId();
    if (users == null) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, "authentication is off on this server "
          + "(portal.auth.enabled = off): there are no users to manage"));
    }
    return permitted(session, id, permissions -> {
      if (!permissions.admin()) {
        return refuse(session, id, ErrorCode.PERMISSION_DENIED, "user '" + permissions.user()
            + "' may not manage users and roles: only root may");
      }
      CompletionStage<Boolean> done;
      try {
        done = switch (request.getOpCase()) {
          case USER_ADD -> users.addUser(request.getUserAdd().getUser(), request.getUserAdd().getPassword(),
              request.getUserAdd().getRolesList());
          case USER_DELETE -> users.deleteUser(request.getUserDelete().getUser());
          case ROLE_GRANT -> users.grant(request.getRoleGrant().getRole(), Grant.newBuilder()
              .setPrefix(request.getRoleGrant().getPermission().getPrefix())
              .setWrite(request.getRoleGrant().getPermission().getWrite()).build());
          case OP_NOT_SET -> throw new IllegalArgumentException("no operation in the request");
        };
      } catch (IllegalArgumentException e) {
        return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, e.getMessage()));
      }
      return complete(id, done.thenApply(existed -> UserAdminResponse.newBuilder().setRequestId(id)
          .setExisted(existed).build()));
    });
  }

  private CompletionStage<MessageLite> onBackup(BackupRequest request) {
    long id = request.getRequestId();
    if (control == null) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, "this server takes no backups"));
    }
    CompletionStage<BackupResponse.Builder> taken;
    try {
      taken = control.backup(request.getDir());
    } catch (IllegalArgumentException e) {
      return done(ErrorMapper.error(id, ErrorCode.INVALID_ARGUMENT, e.getMessage()));
    }
    return taken.handle((response, failure) -> {
      if (failure == null) {
        return response.setRequestId(id).build();
      }
      Throwable cause = ErrorMapper.unwrap(failure);
      return ErrorMapper.error(id, cause instanceof IllegalArgumentException ? ErrorCode.INVALID_ARGUMENT
          : ErrorCode.UNAVAILABLE, "backup to " + request.getDir() + " failed: " + cause.getMessage());
    });
  }

  private StatusResponse statusOf(long id) {
    StatusResponse.Builder response = control == null ? StatusResponse.newBuilder() : control.status();
    return response.setRequestId(id).setServerVersion(serverVersion).setNodeId(nodeId.get()).build();
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
