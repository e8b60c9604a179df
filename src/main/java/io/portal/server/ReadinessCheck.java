package io.portal.server;

import com.google.protobuf.ByteString;
import io.portal.store.KvStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Readiness for Pekko Management's {@code /ready}: the node is ready when it serves clients (bound, not shutting
 * down), is an Up member of the cluster, and its store answers a read within {@link #STORE_TIMEOUT}. Configured under
 * {@code pekko.management.health-checks.readiness-checks} in portal-pekko.conf.
 */
public final class ReadinessCheck implements Supplier<CompletionStage<Boolean>> {
  static final Duration STORE_TIMEOUT = Duration.ofSeconds(2);
  private static final ByteString PROBE_KEY = ByteString.copyFromUtf8("portal:readiness-probe");
  private final org.apache.pekko.actor.typed.ActorSystem<?> system;

  public ReadinessCheck(ActorSystem system) {
    this.system = Adapter.toTyped(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    KvStore store = ServerStatus.get(system).store();
    if (store == null || !Cluster.get(system).selfMember().status().equals(MemberStatus.up())) {
      return CompletableFuture.completedFuture(false);
    }
    return store.get(PROBE_KEY).toCompletableFuture()
        .orTimeout(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .handle((value, failure) -> failure == null);
  }
}
