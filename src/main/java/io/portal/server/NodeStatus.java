package io.portal.server;

import com.typesafe.config.Config;
import io.portal.connection.ClientMemory;
import io.portal.connection.ConnectionMetrics;
import io.portal.connection.NodeControl;
import io.portal.journal.RocksStores;
import io.portal.protocol.v1.BackupResponse;
import io.portal.protocol.v1.Member;
import io.portal.protocol.v1.StatusResponse;
import io.portal.store.JournalSchema;
import io.portal.store.LocalPartitions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * STATUS's answer for this node (the store, the cluster as this node sees it, the connections, the limits) and
 * BACKUP's work (a RocksDB checkpoint of the journal, on a thread of its own).
 */
final class NodeStatus implements NodeControl {
  /** The settings STATUS reports, as in force. */
  private static final List<String> LIMITS = List.of("portal.server.max-connections", "portal.server.idle-timeout",
      "portal.protocol.max-payload-bytes", "portal.protocol.max-key-bytes", "portal.connection.max-in-flight",
      "portal.connection.outbound-hard-limit", "portal.connection.outbound-soft-limit",
      "portal.store.request-timeout", "portal.store.max-pending-writes", "portal.store.max-pending-bytes",
      "portal.server.tls.enabled", "portal.auth.enabled");

  private final ActorSystem<?> system;
  private final ServerSettings settings;
  private final LocalPartitions local;
  private final ConnectionMetrics connections;
  private final ClientMemory memory;
  private final String store;

  NodeStatus(ActorSystem<?> system, ServerSettings settings, LocalPartitions local, ConnectionMetrics connections,
      ClientMemory memory, String store) {
    this.system = system;
    this.settings = settings;
    this.local = local;
    this.connections = connections;
    this.memory = memory;
    this.store = store;
  }

  @Override
  public StatusResponse.Builder status() {
    StatusResponse.Builder status = StatusResponse.newBuilder()
        .setUptimeMillis(ManagementFactory.getRuntimeMXBean().getUptime())
        .setStore(store)
        .setPartitions(settings.store().partitions())
        .setPartitionsHere(local.hosted())
        .setKeysHere(local.keys())
        .setConnections(connections.live())
        .setClientBytesHeld(memory.total())
        .setClientBytesBudget(memory.budget());
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<org.apache.pekko.cluster.Member> unreachable = StreamSupport.stream(state.getUnreachable().spliterator(),
        false).collect(Collectors.toSet());
    for (org.apache.pekko.cluster.Member member : state.getMembers()) {
      status.addMembers(Member.newBuilder().setAddress(member.address().toString())
          .setStatus(member.status().toString()).setReachable(!unreachable.contains(member))
          .setSelf(member.uniqueAddress().equals(cluster.selfMember().uniqueAddress())));
    }
    Config config = system.settings().config();
    for (String path : LIMITS) {
      status.putLimits(path, String.valueOf(config.getValue(path).unwrapped()));
    }
    return status;
  }

  @Override
  public CompletionStage<BackupResponse.Builder> backup(String dir) {
    Path target = Path.of(dir);
    if (!target.isAbsolute()) {
      throw new IllegalArgumentException("the backup folder must be an absolute path on the server's machine, not '"
          + dir + "'");
    }
    if (Files.exists(target)) {
      throw new IllegalArgumentException(dir + " exists already: a backup goes into a new folder");
    }
    Config config = system.settings().config();
    if (!settings.store().durable() || !JournalSchema.isRocksDb(config)) {
      throw new IllegalArgumentException("this node keeps no RocksDB journal (" + store + "): back up "
          + (settings.store().durable() ? "the PostgreSQL database with its own tools (pg_dump)" : "nothing: memory "
          + "mode keeps no data"));
    }
    return CompletableFuture.supplyAsync(() -> {
      long start = System.nanoTime();
      try {
        RocksStores.get(Adapter.toClassic(system)).store().checkpoint(target);
        long[] filesAndBytes = {0, 0};
        try (var files = Files.list(target)) {
          files.forEach(file -> {
            filesAndBytes[0]++;
            filesAndBytes[1] += file.toFile().length();
          });
        }
        return BackupResponse.newBuilder().setDir(dir).setFiles((int) filesAndBytes[0]).setBytes(filesAndBytes[1])
            .setMillis((System.nanoTime() - start) / 1_000_000);
      } catch (org.rocksdb.RocksDBException | IOException e) {
        throw new java.util.concurrent.CompletionException(new IllegalStateException(e.getMessage(), e));
      }
    }, BACKUPS);
  }

  /** Backups run one at a time, off the actors' threads. */
  private static final java.util.concurrent.Executor BACKUPS = java.util.concurrent.Executors.newSingleThreadExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "portal-backup");
        thread.setDaemon(true);
        return thread;
      });
}
