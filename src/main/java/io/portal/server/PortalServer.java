package io.portal.server;

import com.typesafe.config.Config;
import io.portal.Causes;
import io.portal.Version;
import io.portal.auth.Users;
import io.portal.cluster.ClusterSetup;
import io.portal.connection.ClientMemory;
import io.portal.connection.ConnectionManager;
import io.portal.connection.ConnectionMetrics;
import io.portal.connection.RequestHandler;
import io.portal.journal.RocksStore;
import io.portal.journal.RocksStores;
import io.portal.journal.WriteTrouble;
import io.portal.store.JournalSchema;
import io.portal.store.KvStore;
import io.portal.store.LocalPartitions;
import io.portal.store.PartitionedKvStore;
import io.portal.store.StoreSettings;
import io.portal.store.WriteGate;
import io.portal.transport.TcpTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Portal server: store, connection manager and TCP listener in one actor system whose guardian speaks
 * {@link SpawnProtocol}. Shutdown goes through the system's CoordinatedShutdown: unbind, drain connections, stop.
 */
public final class PortalServer {
  private static final Logger LOG = LoggerFactory.getLogger(PortalServer.class);
  private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(10);

  private final ActorSystem<SpawnProtocol.Command> system;
  private final TcpTransport.Binding binding;
  private final ConnectionMetrics metrics;
  private final ClientMemory clientMemory;
  private final String nodeId;

  private PortalServer(ActorSystem<SpawnProtocol.Command> system, TcpTransport.Binding binding,
      ConnectionMetrics metrics, ClientMemory clientMemory, String nodeId) {
    this.system = system;
    this.binding = binding;
    this.metrics = metrics;
    this.clientMemory = clientMemory;
    this.nodeId = nodeId;
  }

  /**
   * Starts a server in {@code system}: prepares the journal (durable mode), joins the cluster, starts and recovers
   * every partition, then binds the port. Completes when the server serves. Blocks while it prepares the journal
   * (JDBC); call from outside the actor system (main or a test).
   */
  public static CompletionStage<PortalServer> start(ActorSystem<SpawnProtocol.Command> system,
      ServerSettings settings) {
    // the metrics registry first: the journal registers its meters as it opens, and Micrometer warns about meters
    // registered before a registry is added (their earlier recordings would be lost)
    PortalMetrics.registry();
    StoreSettings storeSettings = settings.store();
    Config config = system.settings().config();
    requireSharedJournalForMultiNode(config, storeSettings);
    if (storeSettings.durable()) {
      refuseOldH2Data(storeSettings);
    }
    if (storeSettings.durable() && JournalSchema.isRocksDb(config)) {
      requireSamePartitionCount(RocksStores.get(Adapter.toClassic(system)).store(), storeSettings.partitions());
    } else if (storeSettings.durable()) {
      refuseRocksDbData(config);
      requirePostgres(config);
      JournalSchema.ensure(config, storeSettings.partitions());
    }
    long startNanos = System.nanoTime();
    // binding the health checks (HTTP) takes a while to load; it answers "not ready" until the server is
    CompletableFuture<Void> management = startManagement(system, config).toCompletableFuture();
    return ClusterSetup.joinAndAwaitUp(system, storeSettings.recoveryTimeout()).thenCompose(self -> {
      LocalPartitions local = new LocalPartitions(storeSettings.partitions());
      PartitionedKvStore store = new PartitionedKvStore(ClusterSetup.startPartitions(system, storeSettings, local,
          writeGate(system, storeSettings)),
          storeSettings.partitions(), system.scheduler(), storeSettings.requestTimeout(), local,
          storeSettings.maxWriteBytesInFlight());
      return store.wakeAll(storeSettings.recoveryTimeout()).thenApply(ignored -> {
        LOG.info("{} partitions {} in {} ms ({})", storeSettings.partitions(),
            storeSettings.durable() ? "recovered" : "started", (System.nanoTime() - startNanos) / 1_000_000,
            storeDescription(config, storeSettings));
        keepPartitionsAwake(system, store, storeSettings.wakeInterval());
        return store;
      });
    }).thenCompose(store -> bind(system, settings, store)).thenCombine(management, (server, ignored) -> server);
  }

  /** What tells partitions the journal takes writes: the RocksDB journal's state; other journals fail per batch. */
  private static WriteGate writeGate(ActorSystem<?> system, StoreSettings store) {
    if (!store.durable() || !JournalSchema.isRocksDb(system.settings().config())) {
      return WriteGate.OPEN;
    }
    RocksStore journal = RocksStores.get(Adapter.toClassic(system)).store();
    return () -> {
      WriteTrouble trouble = journal.writeTrouble();
      return trouble == null ? null : new WriteGate.Refusal(trouble.diskFull(), trouble.message());
    };
  }

  /**
   * Wakes every partition now and then: a partition that moved to another node (its node died or left) starts there
   * only when a message reaches it, and until it runs its expiry timers do not either.
   */
  private static void keepPartitionsAwake(ActorSystem<?> system, PartitionedKvStore store, Duration interval) {
    system.scheduler().scheduleWithFixedDelay(interval, interval,
        () -> store.wakeAll(interval).exceptionally(failure -> null), system.executionContext());
  }

  /**
   * A node configured to join others ({@code pekko.cluster.seed-nodes} not empty) must not keep its journal in the
   * node-local RocksDB journal: a partition moved to another node would come up there without its data.
   */
  static void requireSharedJournalForMultiNode(Config config, StoreSettings store) {
    java.util.List<String> seeds = config.getStringList("pekko.cluster.seed-nodes");
    if (store.durable() && !seeds.isEmpty() && JournalSchema.isRocksDb(config)) {
      throw new IllegalStateException("this node is configured for a multi-node cluster (pekko.cluster.seed-nodes = "
          + seeds + ") but its journal is the node-local RocksDB journal (portal.store.journal = rocksdb): a "
          + "partition moved to another node would lose its data. Use the shared JDBC journal (PostgreSQL, see "
          + "docs/cluster.md), or remove the seed nodes to run a single node");
    }
  }

  /**
   * A data folder that holds the H2 journal file of an older Portal: this version cannot read it, and starting over
   * it would serve an empty store as if it were the data. Refused, naming the file.
   */
  private static void refuseOldH2Data(StoreSettings store) {
    java.nio.file.Path h2File = JournalSchema.oldH2File(store.dataDir());
    if (java.nio.file.Files.exists(h2File)) {
      throw new IllegalStateException("the data folder " + store.dataDir() + " holds " + h2File + ", the H2 journal "
          + "of an older Portal version, which this version cannot read: starting would serve an empty store over "
          + "that data. To keep serving it, run the version that wrote it; to start afresh, move the folder away or "
          + "point portal.store.data-dir at another folder");
    }
  }

  /** The JDBC journal is for PostgreSQL, which must be configured: there is no embedded database behind it. */
  private static void requirePostgres(Config config) {
    String url = JournalSchema.url(config);
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new IllegalStateException("portal.store.journal = jdbc needs a PostgreSQL database, but "
          + "pekko-persistence-jdbc.shared-databases.portal.db.url is '" + url + "'. Set it to "
          + "jdbc:postgresql://HOST:PORT/DATABASE (conf/cluster-node.conf, docs/cluster.md), or use "
          + "portal.store.journal = rocksdb for a single node");
    }
  }

  /** A RocksDB journal folder keeps the partition count it was created with: keys are hashed over that many. */
  private static void requireSamePartitionCount(RocksStore journal, int partitions) {
    long recorded;
    try {
      recorded = journal.recordOnce("partitions", partitions);
    } catch (org.rocksdb.RocksDBException e) {
      throw new IllegalStateException("cannot read the partition count of the journal in " + journal.dir() + ": "
          + e.getMessage(), e);
    }
    if (recorded != partitions) {
      throw new IllegalStateException("the data in " + journal.dir() + " was written with " + recorded
          + " partitions but portal.store.partitions is " + partitions + "; keys would land in the wrong "
          + "partitions. Set portal.store.partitions = " + recorded + " or use another data folder");
    }
  }

  /** The reverse of {@link #refuseOldH2Data}: a RocksDB journal in the folder, and the JDBC journal configured. */
  private static void refuseRocksDbData(Config config) {
    java.nio.file.Path rocks = java.nio.file.Path.of(config.getString("portal.rocksdb.dir"));
    if (java.nio.file.Files.exists(rocks.resolve("CURRENT"))) {
      throw new IllegalStateException("the folder " + rocks + " holds a journal written with portal.store.journal = "
          + "rocksdb, but this server is configured for jdbc: it would start without that data. Start it with "
          + "portal.store.journal = rocksdb");
    }
  }

  private static CompletionStage<Void> startManagement(ActorSystem<?> system, Config config) {
    if (!config.getBoolean("portal.management.enabled")) {
      return CompletableFuture.completedFuture(null);
    }
    String address = config.getString("pekko.management.http.hostname") + ":"
        + config.getInt("pekko.management.http.port");
    return PekkoManagement.get(Adapter.toClassic(system)).start()
        .<Void>thenApply(uri -> {
          LOG.info("health checks on {}/ready and {}/alive", uri, uri);
          return null;
        })
        .exceptionallyCompose(failure -> CompletableFuture.failedFuture(new IllegalStateException("the management "
            + "(health check) port " + address + " cannot be bound (" + Causes.rootMessage(failure) + "); the client "
            + "port was fine. Set pekko.management.http.port to a free port (0 picks one), or "
            + "portal.management.enabled = off", failure)));
  }

  private static CompletionStage<PortalServer> bind(ActorSystem<SpawnProtocol.Command> system,
      ServerSettings settings, PartitionedKvStore store) {
    ConnectionMetrics metrics = new ConnectionMetrics();
    // with port 0 the default node id (the bound address) is known only once bound; no request comes before that
    AtomicReference<String> nodeId = new AtomicReference<>(settings.nodeId());
    ClientMemory memory = ClientMemory.of(settings.memory());
    PortalMetrics.bind(system, metrics, memory, store.local());
    RequestHandler handler = new RequestHandler(store, settings.connection().maxKeyBytes(), Version.current(),
        nodeId::get, settings.auth().enabled() ? new Users(store, settings.auth()) : null,
        new NodeStatus(system, settings, store.local(), metrics, memory, storeDescription(system.settings().config(),
            settings.store())), settings.limits());
    LOG.info("bytes held for clients: budget {} bytes, reading pauses over {} bytes", settings.memory().clientsBudget(),
        settings.memory().pauseLevel());
    return spawn(system, ConnectionManager.create(settings.connection(), settings.maxConnections(), handler,
        metrics, memory), "connections").thenCompose(manager -> TcpTransport.bind(system, settings.host(), settings.port(),
            settings.backlog(), settings.tls(),
            remote -> AskPattern.<ConnectionManager.Command, Flow<ByteString, ByteString, NotUsed>>ask(manager,
                replyTo -> new ConnectionManager.Accept(remote, replyTo), SETUP_TIMEOUT, system.scheduler()))
        .thenApply(binding -> {
          if (nodeId.get().isEmpty()) {
            nodeId.set(settings.host() + ":" + binding.localAddress().getPort());
          }
          warnIfOpen(settings, binding.localAddress().getPort());
          PortalServer server = new PortalServer(system, binding, metrics, memory, nodeId.get());
          server.registerShutdown(manager);
          ServerStatus.get(system).serving(store);
          return server;
        }));
  }

  /** Where the data is: "memory only", "RocksDB journal in DIR" or "journal URL". */
  private static String storeDescription(Config config, StoreSettings storeSettings) {
    return !storeSettings.durable() ? "memory only" : JournalSchema.isRocksDb(config)
        ? "RocksDB journal in " + config.getString("portal.rocksdb.dir")
        : "journal " + JournalSchema.url(config);
  }

  /** A loud warning when the client port listens beyond loopback and anyone reaching it may do anything. */
  private static void warnIfOpen(ServerSettings settings, int port) {
    boolean loopback;
    try {
      java.net.InetAddress address = java.net.InetAddress.getByName(settings.host());
      loopback = address.isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      loopback = false;
    }
    if (!loopback && !settings.auth().enabled()) {
      LOG.warn("THE CLIENT PORT IS OPEN TO ANYONE: it listens on {} (beyond loopback) with portal.auth.enabled = off, "
          + "so whoever reaches port {} can read and write every key{}. Turn authentication on, or listen on "
          + "127.0.0.1 (docs/security.md)", settings.host(), port,
          settings.tls() == null ? ", and TLS is off too" : "");
    }
  }

  private void registerShutdown(ActorRef<ConnectionManager.Command> manager) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    Duration drainTimeout = Duration.ofMillis(shutdown.timeout(CoordinatedShutdown.PhaseServiceRequestsDone()).toMillis());
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "portal-not-ready",
        (Supplier<CompletionStage<Done>>) () -> {
          ServerStatus.get(system).stopping();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "portal-unbind", (Supplier<CompletionStage<Done>>)
        binding::unbind);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "portal-drain-connections",
        (Supplier<CompletionStage<Done>>) () -> AskPattern.<ConnectionManager.Command, Done>ask(manager,
            ConnectionManager.DrainAll::new, drainTimeout, system.scheduler()));
    shutdown.addTask(CoordinatedShutdown.PhaseServiceStop(), "portal-report", (Supplier<CompletionStage<Done>>) () -> {
      LOG.info("Portal stopped; connections: {}", metrics);
      return CompletableFuture.completedFuture(Done.getInstance());
    });
  }

  private static <T> CompletionStage<ActorRef<T>> spawn(ActorSystem<SpawnProtocol.Command> system,
      Behavior<T> behavior, String name) {
    return AskPattern.ask(system, replyTo -> new SpawnProtocol.Spawn<>(behavior, name, Props.empty(), replyTo),
        SETUP_TIMEOUT, system.scheduler());
  }

  /** The address the server listens on. */
  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Connection counters. */
  public ConnectionMetrics metrics() {
    return metrics;
  }

  /** Bytes held for clients, all connections together, and the budget for them. */
  public ClientMemory clientMemory() {
    return clientMemory;
  }

  /** The id HELLO reports. */
  public String nodeId() {
    return nodeId;
  }

  /** Runs the graceful shutdown (unbind, drain, stop) and terminates the actor system. */
  public CompletionStage<Done> shutdown() {
    return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
  }
}
