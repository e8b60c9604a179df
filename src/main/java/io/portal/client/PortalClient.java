package io.portal.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.portal.protocol.v1.AuthRequest;
import io.portal.protocol.v1.BackupRequest;
import io.portal.protocol.v1.BackupResponse;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.DeleteResponse;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.Permission;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.BatchOp;
import io.portal.protocol.v1.BatchRequest;
import io.portal.protocol.v1.BatchResponse;
import io.portal.protocol.v1.BatchResult;
import io.portal.protocol.v1.ExpireRequest;
import io.portal.protocol.v1.ExpireResponse;
import io.portal.protocol.v1.KeyValue;
import io.portal.protocol.v1.TxnRequest;
import io.portal.protocol.v1.WatchCancelRequest;
import io.portal.protocol.v1.WatchCancelResponse;
import io.portal.protocol.v1.WatchCanceled;
import io.portal.protocol.v1.WatchRequest;
import io.portal.protocol.v1.WatchResponse;
import io.portal.protocol.v1.TxnResponse;
import io.portal.protocol.v1.RoleGrant;
import io.portal.protocol.v1.ScanRequest;
import io.portal.protocol.v1.ScanResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import io.portal.protocol.v1.StatusRequest;
import io.portal.protocol.v1.StatusResponse;
import io.portal.protocol.v1.UserAdd;
import io.portal.protocol.v1.UserAdminRequest;
import io.portal.protocol.v1.UserAdminResponse;
import io.portal.protocol.v1.UserDelete;
import io.portal.tls.TlsFiles;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import javax.net.ssl.SSLContext;

/**
 * A Portal client: one connection at a time to one of the given servers, any number of requests pipelined on it.
 * Any thread may call any method. Responses arrive in request order; each request fails after the request timeout
 * with a {@link PortalException} of code TIMEOUT, its late response discarded.
 *
 * <p>Sessions and retries: by default the client opens a session (HELLO with a random client id) on every
 * connection it makes. A write that times out, or whose connection breaks, is then sent again with the same request
 * id, up to {@code retries} times, reconnecting (to the next address, if there are several) when the connection is
 * gone; the server applies it at most once and answers a repeat with the original result. Reads and pings are
 * retried the same way. Without a session ({@code clientId} empty) writes are at most once and are not retried.
 *
 * <p>The blocking methods ({@link #set}, {@link #get}, ...) wait for the future and throw its
 * {@link PortalException}.
 */
public final class PortalClient implements AutoCloseable {
  /**
   * Client settings.
   *
   * @param clientId       the session's id; empty for no session (writes at most once, never retried)
   * @param retries        how many times a failed request is sent again (TIMEOUT, UNAVAILABLE)
   * @param retryBackoff   pause before each retry
   * @param tls            TLS for every connection; null for plain TCP
   * @param user           the user every connection authenticates as; null for none (a server without auth)
   * @param deadline       a request's whole time, retries included; null: {@code requestTimeout} per attempt
   */
  public record Options(Duration connectTimeout, Duration requestTimeout, int maxPayloadBytes, String clientId,
      int retries, Duration retryBackoff, SSLContext tls, String user, String password, Duration deadline) {
    public static Options defaults() {
      return new Options(Duration.ofSeconds(5), Duration.ofSeconds(10), 64 * 1024 * 1024,
          "client-" + UUID.randomUUID(), 3, Duration.ofMillis(200), null, null, null, null);
    }

    /**
     * Bounds a request's whole time, retries included: each attempt waits at most what is left, and no retry starts
     * after it. Without one, each attempt has {@code requestTimeout}.
     */
    public Options withDeadline(Duration total) {
      return new Options(connectTimeout, requestTimeout, maxPayloadBytes, clientId, retries, retryBackoff, tls, user,
          password, total);
    }

    /** Authenticates every connection as {@code user} (AUTH, pipelined after HELLO). */
    public Options withCredentials(String user, String password) {
      return new Options(connectTimeout, requestTimeout, maxPayloadBytes, clientId, retries, retryBackoff, tls, user,
          password, deadline);
    }

    @Override
    public String toString() { // never the password
      return "Options[" + connectTimeout + ", " + requestTimeout + ", client " + clientId + ", user " + user + "]";
    }

    public Options withRequestTimeout(Duration timeout) {
      return new Options(connectTimeout, timeout, maxPayloadBytes, clientId, retries, retryBackoff, tls, user, password, deadline);
    }

    public Options withClientId(String id) {
      return new Options(connectTimeout, requestTimeout, maxPayloadBytes, id, retries, retryBackoff, tls, user, password, deadline);
    }

    public Options withRetries(int count, Duration backoff) {
      return new Options(connectTimeout, requestTimeout, maxPayloadBytes, clientId, count, backoff, tls, user, password, deadline);
    }

    /** No session and no retries: every request is sent once. */
    public Options withoutSession() {
      return new Options(connectTimeout, requestTimeout, maxPayloadBytes, "", 0, retryBackoff, tls, user, password, deadline);
    }

    /** TLS with {@code context} ({@link PortalClient#tlsContext}); the server's certificate must name the host. */
    public Options withTls(SSLContext context) {
      return new Options(connectTimeout, requestTimeout, maxPayloadBytes, clientId, retries, retryBackoff, context, user, password, deadline);
    }
  }

  /**
   * A TLS context trusting the CA certificates in the PEM file {@code caCert} (null: the JDK's trusted authorities),
   * presenting {@code cert} with {@code key} (PEM files; both null: no client certificate).
   *
   * @throws PortalException INVALID_ARGUMENT naming the file that cannot be used
   */
  public static SSLContext tlsContext(Path caCert, Path cert, Path key) {
    try {
      return TlsFiles.context(cert, key, caCert);
    } catch (java.io.IOException e) {
      throw new PortalException(ErrorCode.INVALID_ARGUMENT, e.getMessage(), e);
    }
  }

  private final List<InetSocketAddress> addresses;
  private final Options options;
  private final AtomicLong nextRequestId = new AtomicLong(1);
  private final AtomicLong nextWatchId = new AtomicLong(1);
  private final ExecutorService retryExecutor = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "portal-client-retry");
    thread.setDaemon(true);
    return thread;
  });
  private final Object lock = new Object();
  private ClientConnection connection;
  private int nextAddress;
  private boolean closed;

  private PortalClient(List<InetSocketAddress> addresses, Options options) {
    this.addresses = List.copyOf(addresses);
    this.options = options;
  }

  /** Connects with default options. */
  public static PortalClient connect(String host, int port) {
    return connect(host, port, Options.defaults());
  }

  /** Connects; throws {@link PortalException} UNAVAILABLE when the server cannot be reached. */
  public static PortalClient connect(String host, int port, Options options) {
    return connect(List.of(InetSocketAddress.createUnresolved(host, port)), options);
  }

  /**
   * Connects to the first reachable of {@code addresses}; later reconnects move on to the next one in turn.
   * Throws {@link PortalException} UNAVAILABLE when none can be reached.
   */
  public static PortalClient connect(List<InetSocketAddress> addresses, Options options) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no server addresses");
    }
    PortalClient client = new PortalClient(addresses, options);
    client.connection();
    return client;
  }

  public CompletableFuture<ByteString> pingAsync(ByteString payload) {
    return send(id -> PingRequest.newBuilder().setRequestId(id).setPayload(payload).build(), PingResponse.class,
        true).thenApply(PingResponse::getPayload);
  }

  /** Sends a HELLO on the current connection (the client already opens its session itself). */
  public CompletableFuture<HelloResponse> helloAsync(String clientId) {
    return send(id -> HelloRequest.newBuilder().setRequestId(id).setClientId(clientId).build(),
        HelloResponse.class, false);
  }

  /** The node's state (STATUS): version, uptime, store, partitions and keys here, connections, members, limits. */
  public StatusResponse status() {
    return await(send(id -> StatusRequest.newBuilder().setRequestId(id).build(), StatusResponse.class, true));
  }

  /**
   * A consistent copy of the node's journal in {@code dir} on the server's machine (BACKUP; absolute, new; root only
   * when authentication is on). Not retried.
   */
  public BackupResponse backup(String dir) {
    return await(send(id -> BackupRequest.newBuilder().setRequestId(id).setDir(dir).build(), BackupResponse.class,
        false));
  }

  /**
   * Creates or replaces {@code user} with {@code password} and {@code roles} (root only); true when it existed.
   * Not retried: a timeout leaves it unknown whether it was applied.
   */
  public boolean userAdd(String user, String password, List<String> roles) {
    return userAdmin(request -> request.setUserAdd(UserAdd.newBuilder().setUser(user).setPassword(password)
        .addAllRoles(roles)));
  }

  /** Deletes {@code user} (root only); true when it existed. */
  public boolean userDelete(String user) {
    return userAdmin(request -> request.setUserDelete(UserDelete.newBuilder().setUser(user)));
  }

  /**
   * Grants {@code role} read access (with {@code write}, read and write access) to every key starting with
   * {@code prefix}, creating the role (root only); true when the role existed.
   */
  public boolean roleGrant(String role, ByteString prefix, boolean write) {
    return userAdmin(request -> request.setRoleGrant(RoleGrant.newBuilder().setRole(role)
        .setPermission(Permission.newBuilder().setPrefix(prefix).setWrite(write))));
  }

  private boolean userAdmin(java.util.function.Consumer<UserAdminRequest.Builder> op) {
    return await(send(id -> {
      UserAdminRequest.Builder request = UserAdminRequest.newBuilder().setRequestId(id);
      op.accept(request);
      return request.build();
    }, UserAdminResponse.class, false).thenApply(UserAdminResponse::getExisted));
  }

  /** Completes with the key's new version. */
  public CompletableFuture<Long> setAsync(ByteString key, ByteString value) {
    return setAsync(key, value, 0, OptionalLong.empty());
  }

  /**
   * A set with a TTL and/or compare-and-set; completes with the new version.
   *
   * @param ttlMillis       > 0: the key expires that long after this write; 0: it never does
   * @param expectedVersion the version the key must have (0: must not exist), or empty; a mismatch fails with
   *                        VERSION_MISMATCH
   */
  public CompletableFuture<Long> setAsync(ByteString key, ByteString value, long ttlMillis,
      OptionalLong expectedVersion) {
    return send(id -> {
      SetRequest.Builder request = SetRequest.newBuilder().setRequestId(id).setKey(key).setValue(value)
          .setTtlMillis(ttlMillis);
      expectedVersion.ifPresent(request::setExpectedVersion);
      return request.build();
    }, SetResponse.class, hasSession()).thenApply(SetResponse::getVersion);
  }

  /** Completes with the entry, or empty when the key does not exist. */
  public CompletableFuture<Optional<Entry>> getAsync(ByteString key) {
    return send(id -> GetRequest.newBuilder().setRequestId(id).setKey(key).build(), GetResponse.class, true)
        .thenApply(r -> r.getFound()
            ? Optional.of(new Entry(r.getValue(), r.getVersion(), r.getExpiresAtMillis(), r.getTtlMillis()))
            : Optional.empty());
  }

  /**
   * One page of a scan (SCAN): {@code query} says the range (prefix, or start and end), the limit, keys only, and
   * {@code after} for the page after another; its request id is filled in. Keys come in unsigned byte order.
   */
  public CompletableFuture<ScanResponse> scanAsync(ScanRequest.Builder query) {
    ScanRequest template = query.build();
    return send(id -> template.toBuilder().setRequestId(id).build(), ScanResponse.class, true);
  }

  /**
   * Sets {@code key}'s TTL to {@code ttlMillis} from now, or removes it (0), keeping its value and version (Redis's
   * EXPIRE and PERSIST); {@code found} false when the key does not exist. Retried like a SET in a session.
   */
  public CompletableFuture<ExpireResponse> expireAsync(ByteString key, long ttlMillis, OptionalLong expectedVersion) {
    return send(id -> {
      ExpireRequest.Builder request = ExpireRequest.newBuilder().setRequestId(id).setKey(key).setTtlMillis(ttlMillis);
      expectedVersion.ifPresent(request::setExpectedVersion);
      return request.build();
    }, ExpireResponse.class, hasSession());
  }

  /** {@link #expireAsync}, waiting for the answer. */
  public ExpireResponse expire(ByteString key, long ttlMillis, OptionalLong expectedVersion) {
    return await(expireAsync(key, ttlMillis, expectedVersion));
  }

  /**
   * Several independent gets, sets and deletes in one request (BATCH), each answered in its place (an error
   * included); not atomic, and not retried (use {@link #txn} for all-or-nothing).
   */
  public BatchResponse batch(BatchRequest.Builder ops) {
    BatchRequest template = ops.build();
    return await(send(id -> template.toBuilder().setRequestId(id).build(), BatchResponse.class, false));
  }

  /** The entries of {@code keys}, in order (empty where a key does not exist): MGET. */
  public List<Optional<Entry>> mget(List<ByteString> keys) {
    BatchRequest.Builder ops = BatchRequest.newBuilder();
    keys.forEach(key -> ops.addOps(BatchOp.newBuilder().setGet(GetRequest.newBuilder().setKey(key))));
    List<Optional<Entry>> entries = new ArrayList<>();
    for (BatchResult result : batch(ops).getResultsList()) {
      GetResponse r = resultOf(result).getGet();
      entries.add(r.getFound() ? Optional.of(new Entry(r.getValue(), r.getVersion(), r.getExpiresAtMillis(),
          r.getTtlMillis())) : Optional.empty());
    }
    return entries;
  }

  /** Writes every key and value of {@code entries}, each on its own: MSET; the new versions, in order. */
  public List<Long> mset(java.util.Map<ByteString, ByteString> entries) {
    BatchRequest.Builder ops = BatchRequest.newBuilder();
    entries.forEach((key, value) -> ops.addOps(BatchOp.newBuilder().setSet(SetRequest.newBuilder().setKey(key)
        .setValue(value))));
    List<Long> versions = new ArrayList<>();
    for (BatchResult result : batch(ops).getResultsList()) {
      versions.add(resultOf(result).getSet().getVersion());
    }
    return versions;
  }

  /** {@code result}, or the PortalException its error stands for. */
  private static BatchResult resultOf(BatchResult result) {
    if (result.hasError()) {
      throw new PortalException(result.getError().getCode(), result.getError().getMessage());
    }
    return result;
  }

  /**
   * A transaction (TXN) over keys of one partition: if every compare holds, the success ops run, else the failure
   * ops, atomically. Not retried: a timeout leaves it unknown whether it ran (a retry is safe when its compares
   * check versions: one that ran makes them fail).
   */
  public TxnResponse txn(TxnRequest.Builder txn) {
    return await(txnAsync(txn));
  }

  /** {@link #txn}, completing when it is answered. */
  public CompletableFuture<TxnResponse> txnAsync(TxnRequest.Builder txn) {
    TxnRequest template = txn.build();
    return send(id -> template.toBuilder().setRequestId(id).build(), TxnResponse.class, false);
  }

  /** An open watch: its id, the positions its events reached, and a way to cancel it. */
  public final class Watch {
    private final long id;
    private final ClientConnection connection;
    private final java.util.Map<Integer, Long> positions = new java.util.concurrent.ConcurrentHashMap<>();

    private Watch(long id, ClientConnection connection, java.util.Map<Integer, Long> after) {
      this.id = id;
      this.connection = connection;
      positions.putAll(after);
    }

    public long id() {
      return id;
    }

    /** Per partition, the revision of the last event received: WatchRequest.after to resume from. */
    public java.util.Map<Integer, Long> positions() {
      return java.util.Map.copyOf(positions);
    }

    /** Cancels the watch (WATCH_CANCEL); no event is delivered once this returns. */
    public void cancel() {
      if (connection.removeWatch(id) != null) {
        await(send(connection, requestId -> WatchCancelRequest.newBuilder().setRequestId(requestId).setWatchId(id)
            .build(), WatchCancelResponse.class));
      }
    }
  }

  /**
   * Follows a key, or with {@code setPrefix(true)} every key starting with it (WATCH): {@code listener} gets the
   * changes as the server pushes them, until {@link Watch#cancel} or the watch ends. Resume an earlier watch with
   * {@code putAllAfter(earlier.positions())}. A watch lives on one connection and is not moved when it breaks: the
   * listener is told (UNAVAILABLE) and can watch again from the positions.
   */
  public Watch watch(WatchRequest.Builder spec, WatchListener listener) {
    ClientConnection connection = connection();
    long id = nextWatchId.getAndIncrement();
    Watch watch = new Watch(id, connection, spec.getAfterMap());
    connection.addWatch(id, new ClientConnection.Pushed() {
      @Override
      public void event(io.portal.protocol.v1.WatchEvent event) {
        event.getProgressMap().forEach((partition, revision) -> watch.positions.merge(partition, revision, Math::max));
        event.getEventsList().forEach(e -> watch.positions.merge(e.getPartition(), e.getRevision(), Math::max));
        if (event.getEventsCount() > 0) {
          listener.onEvents(event.getEventsList());
        }
      }

      @Override
      public void canceled(WatchCanceled canceled) {
        listener.onCanceled(canceled.getResumeAfterCount() > 0 ? canceled
            : canceled.toBuilder().putAllResumeAfter(watch.positions).build());
      }
    });
    WatchRequest template = spec.setWatchId(id).build();
    try {
      await(send(connection, requestId -> template.toBuilder().setRequestId(requestId).build(),
          WatchResponse.class));
    } catch (PortalException e) {
      connection.removeWatch(id);
      throw e;
    }
    return watch;
  }

  /** Sends {@code request} on {@code connection} itself (a watch's), not retried. */
  private <R extends MessageLite> CompletableFuture<R> send(ClientConnection connection,
      LongFunction<MessageLite> request, Class<R> expected) {
    long timeoutMillis = options.requestTimeout().toMillis();
    return connection.send(request.apply(nextRequestId.getAndIncrement()))
        .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .handle((reply, failure) -> ClientConnection.interpret(reply, failure, expected, timeoutMillis));
  }

  /** {@link #scanAsync}, waiting for the page. */
  public ScanResponse scan(ScanRequest.Builder query) {
    return await(scanAsync(query));
  }

  /**
   * Every key of {@code query}'s range, page after page as the iteration goes (each page fetched when the one before
   * is used up); the query's limit is the size of each page.
   */
  public Iterable<KeyValue> scanAll(ScanRequest.Builder query) {
    ScanRequest first = query.build();
    return () -> new java.util.Iterator<>() {
      private java.util.Iterator<KeyValue> page = java.util.Collections.emptyIterator();
      private ByteString after = first.getAfter();
      private boolean more = true;

      @Override
      public boolean hasNext() {
        while (!page.hasNext() && more) {
          ScanResponse response = scan(first.toBuilder().setAfter(after));
          page = response.getEntriesList().iterator();
          more = response.getMore();
          after = response.getContinuation();
        }
        return page.hasNext();
      }

      @Override
      public KeyValue next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return page.next();
      }
    };
  }

  /** Completes with true when the key existed. */
  public CompletableFuture<Boolean> deleteAsync(ByteString key) {
    return deleteAsync(key, OptionalLong.empty());
  }

  /** A delete with compare-and-set on the key's version. */
  public CompletableFuture<Boolean> deleteAsync(ByteString key, OptionalLong expectedVersion) {
    return send(id -> {
      DeleteRequest.Builder request = DeleteRequest.newBuilder().setRequestId(id).setKey(key);
      expectedVersion.ifPresent(request::setExpectedVersion);
      return request.build();
    }, DeleteResponse.class, hasSession()).thenApply(DeleteResponse::getDeleted);
  }

  public ByteString ping(ByteString payload) {
    return await(pingAsync(payload));
  }

  public HelloResponse hello(String clientId) {
    return await(helloAsync(clientId));
  }

  public long set(ByteString key, ByteString value) {
    return await(setAsync(key, value));
  }

  /** {@link #setAsync(ByteString, ByteString, long, OptionalLong)}, waiting for the answer. */
  public long set(ByteString key, ByteString value, long ttlMillis, OptionalLong expectedVersion) {
    return await(setAsync(key, value, ttlMillis, expectedVersion));
  }

  public long set(String key, String value) {
    return set(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(value));
  }

  public Optional<Entry> get(ByteString key) {
    return await(getAsync(key));
  }

  public Optional<Entry> get(String key) {
    return get(ByteString.copyFromUtf8(key));
  }

  public boolean delete(ByteString key) {
    return await(deleteAsync(key));
  }

  /** {@link #deleteAsync(ByteString, OptionalLong)}, waiting for the answer. */
  public boolean delete(ByteString key, OptionalLong expectedVersion) {
    return await(deleteAsync(key, expectedVersion));
  }

  public boolean delete(String key) {
    return delete(ByteString.copyFromUtf8(key));
  }

  /** Requests sent on the current connection and not yet answered (timed-out ones included). */
  public int pendingCount() {
    synchronized (lock) {
      return connection == null ? 0 : connection.unansweredCount();
    }
  }

  /** The session's client id, empty without a session. */
  public String clientId() {
    return options.clientId();
  }

  /** Closes the connection; unanswered requests fail with UNAVAILABLE and later calls fail at once. */
  @Override
  public void close() {
    ClientConnection last;
    synchronized (lock) {
      closed = true;
      last = connection;
      connection = null;
    }
    if (last != null) {
      last.close(new PortalException(ErrorCode.UNAVAILABLE, "client closed"));
    }
    retryExecutor.shutdownNow();
  }

  private boolean hasSession() {
    return !options.clientId().isEmpty();
  }

  /** The open connection, or a new one (with its HELLO sent first) to the next address that answers. */
  private ClientConnection connection() {
    synchronized (lock) {
      if (closed) {
        throw new PortalException(ErrorCode.UNAVAILABLE, "client closed");
      }
      if (connection != null && connection.isOpen()) {
        return connection;
      }
      PortalException last = null;
      for (int tried = 0; tried < addresses.size(); tried++) {
        InetSocketAddress address = addresses.get(nextAddress);
        nextAddress = (nextAddress + 1) % addresses.size();
        try {
          connection = ClientConnection.open(address, options);
          if (hasSession()) {
            // pipelined ahead of every request on this connection; the server handles it first
            connection.send(HelloRequest.newBuilder().setRequestId(nextRequestId.getAndIncrement())
                .setClientId(options.clientId()).build());
          }
          if (options.user() != null) {
            ClientConnection authenticating = connection;
            authenticating.send(AuthRequest.newBuilder().setRequestId(nextRequestId.getAndIncrement())
                .setUser(options.user()).setPassword(options.password()).build())
                .whenComplete((reply, failure) -> {
                  if (failure == null && reply instanceof ErrorResponse error) {
                    // what the requests pipelined behind it fail with: the reason, not "authenticate first"
                    authenticating.close(new PortalException(error.getCode(), "AUTH as '" + options.user()
                        + "' failed: " + error.getMessage()));
                  }
                });
          }
          return connection;
        } catch (PortalException e) {
          last = e;
        }
      }
      throw last;
    }
  }

  private <R extends MessageLite> CompletableFuture<R> send(LongFunction<MessageLite> request, Class<R> expected,
      boolean retry) {
    long id = nextRequestId.getAndIncrement();
    MessageLite message = request.apply(id);
    long deadline = options.deadline() == null ? Long.MAX_VALUE : System.nanoTime() + options.deadline().toNanos();
    return attempt(message, expected, retry ? options.retries() : 0, deadline);
  }

  private <R extends MessageLite> CompletableFuture<R> attempt(MessageLite message, Class<R> expected,
      int retriesLeft, long deadlineNanos) {
    CompletableFuture<MessageLite> response;
    try {
      response = connection().send(message);
    } catch (PortalException e) {
      response = CompletableFuture.failedFuture(e);
    }
    long leftMillis = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE
        : Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    long timeoutMillis = Math.min(options.requestTimeout().toMillis(), leftMillis);
    CompletableFuture<R> result = response.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .handle((reply, failure) -> ClientConnection.interpret(reply, failure, expected, timeoutMillis));
    if (retriesLeft <= 0) {
      return result;
    }
    Executor later = CompletableFuture.delayedExecutor(options.retryBackoff().toMillis(), TimeUnit.MILLISECONDS,
        retryExecutor);
    return result.exceptionallyComposeAsync(failure -> {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof PortalException p && retryable(p.code())) {
        synchronized (lock) {
          if (closed || deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0) { // or past it
            return CompletableFuture.failedFuture(p);
          }
        }
        return attempt(message, expected, retriesLeft - 1, deadlineNanos);
      }
      return CompletableFuture.failedFuture(cause);
    }, later);
  }

  private static boolean retryable(ErrorCode code) {
    return code == ErrorCode.TIMEOUT || code == ErrorCode.UNAVAILABLE;
  }

  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof PortalException p) {
        throw p;
      }
      throw e;
    }
  }
}
