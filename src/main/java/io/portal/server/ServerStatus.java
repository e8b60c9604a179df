package io.portal.server;

import io.portal.store.KvStore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What the health checks need to know about the server running in an actor system: its store, and whether it is
 * serving (bound and not shutting down). One per actor system; written by {@link PortalServer}, read by
 * {@link ReadinessCheck} on any thread.
 */
final class ServerStatus implements Extension {
  private volatile KvStore store;
  private volatile boolean serving;

  static final ExtensionId<ServerStatus> ID = new ExtensionId<>() {
    @Override
    public ServerStatus createExtension(ActorSystem<?> system) {
      return new ServerStatus();
    }
  };

  static ServerStatus get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  void serving(KvStore servingStore) {
    store = servingStore;
    serving = true;
  }

  void stopping() {
    serving = false;
  }

  /** The store while serving, else null. */
  KvStore store() {
    return serving ? store : null;
  }
}
