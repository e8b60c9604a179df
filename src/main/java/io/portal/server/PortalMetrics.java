package io.portal.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.portal.connection.ClientMemory;
import io.portal.connection.ConnectionMetrics;
import io.portal.store.LocalPartitions;
import java.util.function.ToDoubleFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The server's metrics, in Prometheus's text format on the management port's {@code /metrics} ({@link MetricsRoute}).
 * One registry per process, added to Micrometer's global registry, where the request handler and the journal record
 * theirs; this class adds the JVM's and gauges over the server's own counters.
 */
final class PortalMetrics {
  private static PrometheusMeterRegistry registry;

  private PortalMetrics() {
  }

  /** The process's registry, made (with the JVM's metrics bound) on first use. */
  static synchronized PrometheusMeterRegistry registry() {
    if (registry == null) {
      registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Metrics.addRegistry(registry);
      new JvmMemoryMetrics().bindTo(registry);
      new JvmGcMetrics().bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
    }
    return registry;
  }

  /** Gauges and counters over what the server counts itself: connections, memory, partitions, the cluster. */
  static void bind(ActorSystem<?> system, ConnectionMetrics connections, ClientMemory memory, LocalPartitions local) {
    PrometheusMeterRegistry r = registry();
    Gauge.builder("portal.connections.open", connections, ConnectionMetrics::live)
        .description("client connections open now").register(r);
    counter(r, "portal.connections.accepted", "client connections accepted", connections, ConnectionMetrics::accepted,
        null);
    counter(r, "portal.connections.refused", "connections refused: max-connections reached", connections,
        ConnectionMetrics::rejectedTooMany, null);
    counter(r, "portal.connections.closed", "connections the server closed, by reason", connections,
        ConnectionMetrics::closedOutboundHard, "outbound-hard-limit");
    counter(r, "portal.connections.closed", "connections the server closed, by reason", connections,
        ConnectionMetrics::closedOutboundSoft, "outbound-soft-limit");
    counter(r, "portal.connections.closed", "connections the server closed, by reason", connections,
        ConnectionMetrics::closedIdle, "idle");
    counter(r, "portal.connections.closed", "connections the server closed, by reason", connections,
        ConnectionMetrics::closedOverBudget, "clients-budget");
    counter(r, "portal.connections.closed", "connections the server closed, by reason", connections,
        ConnectionMetrics::closedFrameTimeout, "frame-timeout");
    counter(r, "portal.frame.errors", "frames refused (malformed, too large)", connections,
        ConnectionMetrics::frameErrors, null);
    Gauge.builder("portal.watches.open", connections, ConnectionMetrics::watchesOpen)
        .description("watches open now").register(r);
    counter(r, "portal.watches.ended", "watches the server ended, by reason", connections,
        ConnectionMetrics::watchesTooSlow, "too-slow");
    counter(r, "portal.watches.ended", "watches the server ended, by reason", connections,
        ConnectionMetrics::watchesCompacted, "compacted");
    Gauge.builder("portal.client.bytes.held", memory, ClientMemory::total)
        .description("bytes held for clients: requests read and not answered, responses not yet sent").register(r);
    Gauge.builder("portal.client.bytes.budget", memory, ClientMemory::budget)
        .description("portal.memory.clients-budget in force").register(r);
    Gauge.builder("portal.partitions.here", local, LocalPartitions::hosted)
        .description("partitions this node hosts").register(r);
    Gauge.builder("portal.keys.here", local, LocalPartitions::keys)
        .description("keys in the partitions this node hosts").register(r);
    Cluster cluster = Cluster.get(system);
    Gauge.builder("portal.cluster.members", cluster, c -> count(c, MemberStatus.up()))
        .tag("status", "up").description("cluster members this node sees, by status").register(r);
    Gauge.builder("portal.cluster.members.unreachable", cluster,
            c -> c.state().getUnreachable().size())
        .description("cluster members this node cannot reach").register(r);
  }

  private static double count(Cluster cluster, MemberStatus status) {
    int n = 0;
    for (org.apache.pekko.cluster.Member member : cluster.state().getMembers()) {
      if (member.status().equals(status)) {
        n++;
      }
    }
    return n;
  }

  private static void counter(PrometheusMeterRegistry r, String name, String description,
      ConnectionMetrics connections, ToDoubleFunction<ConnectionMetrics> value, String reason) {
    FunctionCounter.Builder<ConnectionMetrics> builder = FunctionCounter.builder(name, connections, value)
        .description(description);
    if (reason != null) {
      builder.tag("reason", reason);
    }
    builder.register(r);
  }
}
