package io.portal.e2e;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.portal.server.ConfigLoader;
import io.portal.server.PortalServer;
import io.portal.server.ServerSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SpawnProtocol;

/** A real server on 127.0.0.1 and a free port, configured by a HOCON snippet over the defaults. */
final class TestServer implements AutoCloseable {
  final ActorSystem<SpawnProtocol.Command> system;
  final PortalServer server;

  final Path dataDir;

  /** A server with a fresh, empty data folder. */
  TestServer(String overrides) {
    this(overrides, newDataDir());
  }

  /** A server on {@code dataDir}: a second server on the same folder sees the first one's data. */
  TestServer(String overrides, Path dataDir) {
    this.dataDir = dataDir;
    Config config = ConfigLoader.resolve(ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseMap(Map.of(
            "portal.server.port", 0,
            "portal.server.host", "127.0.0.1",
            "portal.store.data-dir", dataDir.toString(),
            "portal.management.enabled", false))));
    system = ActorSystem.create(SpawnProtocol.create(), "portal-test", config);
    try {
      server = PortalServer.start(system, ServerSettings.fromConfig(config)).toCompletableFuture()
          .get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      system.terminate();
      throw new AssertionError("server did not start", e);
    }
  }

  static Path newDataDir() {
    try {
      return Files.createTempDirectory("portal-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return server.address().getPort();
  }

  @Override
  public void close() {
    try {
      server.shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS);
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("server did not stop", e);
    }
  }
}
