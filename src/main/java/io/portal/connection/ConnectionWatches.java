package io.portal.connection;

import io.portal.store.Watch;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The ids of one connection's open watches, reserved at once on any thread (so a duplicate or one too many is refused
 * in the WATCH's own answer), and the connection actor told to open or stop them.
 */
final class ConnectionWatches implements Watches {
  private final ActorRef<ConnectionActor.Command> connection;
  private final int maxOpen;
  private final Set<Long> open = ConcurrentHashMap.newKeySet();

  ConnectionWatches(ActorRef<ConnectionActor.Command> connection, int maxOpen) {
    this.connection = connection;
    this.maxOpen = maxOpen;
  }

  @Override
  public synchronized Optional<String> open(long id, Watch.Spec spec) {
    if (open.size() >= maxOpen) {
      return Optional.of("this connection has " + open.size() + " watches open, the most allowed "
          + "(portal.watch.max-per-connection)");
    }
    if (!open.add(id)) {
      return Optional.of("watch id " + id + " is already open on this connection");
    }
    connection.tell(ConnectionActor.openWatch(id, spec));
    return Optional.empty();
  }

  @Override
  public boolean cancel(long id) {
    if (!open.contains(id)) {
      return false;
    }
    connection.tell(ConnectionActor.cancelWatch(id));
    return true;
  }

  /** The connection has stopped watch {@code id}: its id may be used again. */
  void release(long id) {
    open.remove(id);
  }
}
