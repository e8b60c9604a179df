package io.portal.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;
import org.slf4j.Marker;

/**
 * Drops the INFO lines of Pekko's that mislead or only clutter the start of a lone node ("No seed-nodes configured,
 * manual cluster join required", the split brain resolver's settings, shard and singleton bookkeeping, the steps of
 * leaving its own cluster at shutdown): a lone node
 * joins itself on purpose and Portal says so in its own line. Off for a node with seed nodes, where they matter, and
 * when PORTAL_ROOT_LOG_LEVEL is set (someone wants Pekko's view). Installed by logback.xml; turned on by
 * {@link ServerMain} once it knows the node is alone.
 */
public final class LoneNodeLogFilter extends TurboFilter {
  private static final List<String> DROPPED = List.of(
      "No seed-nodes configured", "SBR started", "This node is now the leader responsible for taking SBR decisions",
      "Slf4jLogger started", "Registered cluster JMX MBean", "Starting up, Pekko version", "Started up successfully",
      "is the new leader among reachable nodes", "Loading startup checks", "Loading readiness checks",
      "Loading liveness checks", "Binding Pekko Management", "Including HTTP management routes",
      "Bound Pekko Management", "Starting Shard Region", "Automatic entity passivation",
      "Singleton manager starting singleton actor", "ClusterSingletonManager state change",
      "ShardCoordinator was moved to the active state",
      // and the steps of leaving its own cluster at shutdown
      "Starting shutting down shards", "Marked address", "Exited [", "Oldest observed OldestChanged",
      "to [Exiting]", "Singleton manager stopping", "Singleton actor [", "Exiting completed", "Shutting down...",
      "Successfully shut down", "Shutting down remote daemon", "Remote daemon shut down", "Remoting shut down");
  private static volatile boolean lone;

  /** Turns the filter on (a node without seed nodes) unless PORTAL_ROOT_LOG_LEVEL asks for everything. */
  static void loneNode() {
    lone = System.getenv("PORTAL_ROOT_LOG_LEVEL") == null;
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
      Throwable t) {
    if (!lone || level == null || level.isGreaterOrEqual(Level.WARN) || !logger.getName().startsWith("org.apache.pekko")) {
      return FilterReply.NEUTRAL;
    }
    String message = "{}".equals(format) && params != null && params.length > 0 ? String.valueOf(params[0]) : format;
    if (message == null) {
      return FilterReply.NEUTRAL;
    }
    for (String dropped : DROPPED) {
      if (message.contains(dropped)) {
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }
}
