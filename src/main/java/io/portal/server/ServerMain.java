package io.portal.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.portal.Version;
import io.portal.cluster.ClusterTls;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar portal.jar [server]}: loads the configuration, starts the server, logs one INFO line when ready.
 * SIGTERM runs the graceful shutdown (CoordinatedShutdown), then the process exits with status 0.
 * Exit status 2 for a bad setting, 1 when the server cannot start (for example the port is taken).
 */
public final class ServerMain {
  private ServerMain() {
  }

  /** Why the server stopped, in CoordinatedShutdown's log line. */
  private enum Sigterm implements CoordinatedShutdown.Reason {
    SIGTERM
  }

  /**
   * SIGTERM runs the graceful shutdown and then exits with status 0, as a service manager expects of a clean stop
   * (the JVM's own handler would exit with 143 after the same shutdown).
   */
  @SuppressWarnings("removal")
  private static void exitCleanlyOnSigterm(ActorSystem<?> system) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"),
          signal -> CoordinatedShutdown.get(system).runAll(Sigterm.SIGTERM));
    } catch (IllegalArgumentException unsupported) {
      // no SIGTERM here: the JVM's shutdown hook still runs the graceful shutdown
    }
  }

  public static void run() {
    // touch SLF4J before Pekko starts, so its first log calls are not replayed with a warning
    Logger log = LoggerFactory.getLogger(ServerMain.class);
    ConfigLoader.Loaded loaded;
    ServerSettings settings;
    try {
      loaded = ConfigLoader.load();
      settings = ServerSettings.fromConfig(loaded.config());
    } catch (ConfigException e) {
      System.err.println("portal: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    ConfigLoader.unknownSettings(loaded.config()).forEach(log::warn);
    // this process owns its JVM: when the cluster downs this node (split brain resolver), or anything else runs the
    // coordinated shutdown, the JVM exits instead of lingering without an actor system
    ClusterTls.Secured secured;
    try {
      secured = ClusterTls.secure(loaded.config());
    } catch (IllegalStateException e) {
      System.err.println("portal: " + e.getMessage());
      System.exit(2);
      return;
    }
    log.info("cluster port: {}", secured.description());
    if (loaded.config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      LoneNodeLogFilter.loneNode();
    }
    Config config = ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on")
        .withFallback(secured.config());
    ActorSystem<SpawnProtocol.Command> system = ActorSystem.create(SpawnProtocol.create(), "portal", config);
    exitCleanlyOnSigterm(system);
    try {
      PortalServer server = PortalServer.start(system, settings).toCompletableFuture()
          .get(settings.store().recoveryTimeout().toSeconds() + 30, TimeUnit.SECONDS);
      log.info("Portal {} ready on {}:{} (node {}, config {}, {} partitions, {})", Version.current(),
          server.address().getAddress().getHostAddress(), server.address().getPort(), server.nodeId(),
          loaded.source(), settings.store().partitions(),
          settings.store().durable() ? "durable in " + settings.store().dataDir() : "memory only");
    } catch (Exception e) {
      Throwable cause = e instanceof CompletionException || e.getCause() != null ? e.getCause() : e;
      log.error("Portal could not start on {}:{}: {}", settings.host(), settings.port(), String.valueOf(cause));
      system.terminate();
      // Pekko's threads are not daemons: exit explicitly so a failed start never leaves a hung JVM
      System.exit(1);
    }
  }
}
