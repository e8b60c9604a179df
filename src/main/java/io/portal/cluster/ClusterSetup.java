package io.portal.cluster;

import io.portal.store.LocalPartitions;
import io.portal.store.PartitionActor;
import io.portal.store.StoreSettings;
import io.portal.store.WriteGate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Joins the cluster and starts sharding for the store's partitions. */
public final class ClusterSetup {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterSetup.class);
  /** The sharded entity type of partitions; its name is part of the cluster's state, never rename it. */
  public static final EntityTypeKey<PartitionActor.Command> PARTITION =
      EntityTypeKey.create(PartitionActor.Command.class, "portal-partition");
  private static final Duration POLL = Duration.ofMillis(50);

  private ClusterSetup() {
  }

  /**
   * Joins (itself, when {@code pekko.cluster.seed-nodes} is empty) and completes when this node is Up.
   *
   * @param timeout how long to wait for Up before failing
   */
  public static CompletionStage<Address> joinAndAwaitUp(ActorSystem<?> system, Duration timeout) {
    Cluster cluster = Cluster.get(system);
    Address self = cluster.selfMember().address();
    if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      LOG.info("no seed nodes configured: {} joins itself as a one-node cluster", self);
      cluster.manager().tell(Join.create(self));
    }
    CompletableFuture<Address> up = new CompletableFuture<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    pollUntilUp(system, cluster, up, deadline);
    return up;
  }

  private static void pollUntilUp(ActorSystem<?> system, Cluster cluster, CompletableFuture<Address> up,
      long deadline) {
    if (cluster.selfMember().status().equals(MemberStatus.up())) {
      up.complete(cluster.selfMember().address());
    } else if (System.nanoTime() > deadline) {
      up.completeExceptionally(new IllegalStateException("cluster member " + cluster.selfMember().address()
          + " is still " + cluster.selfMember().status() + "; check pekko.cluster.seed-nodes"));
    } else {
      system.scheduler().scheduleOnce(POLL, () -> pollUntilUp(system, cluster, up, deadline),
          system.executionContext());
    }
  }

  /** Starts sharding for partitions on this node; returns how to reach partition {@code i}. */
  public static IntFunction<RecipientRef<PartitionActor.Command>> startPartitions(ActorSystem<?> system,
      StoreSettings settings, LocalPartitions local, WriteGate gate) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(PARTITION, context ->
            PartitionActor.create(Integer.parseInt(context.getEntityId()), settings, local, gate))
        .withStopMessage(PartitionActor.Stop.INSTANCE));
    @SuppressWarnings("unchecked")
    EntityRef<PartitionActor.Command>[] refs = new EntityRef[settings.partitions()];
    for (int i = 0; i < refs.length; i++) {
      refs[i] = sharding.entityRefFor(PARTITION, String.valueOf(i));
    }
    return i -> refs[i];
  }
}
