package io.portal.connection;

import io.portal.store.Watch;
import java.util.Optional;

/**
 * A connection's watches, as the request handler sees them: opened and cancelled by id. Any thread may call (an
 * AUTH's outcome may arrive on another); the connection actor does the work.
 */
interface Watches {
  /** Opens watch {@code id}; the INVALID_ARGUMENT message when it cannot be (an id in use, too many open). */
  Optional<String> open(long id, Watch.Spec spec);

  /** Cancels watch {@code id}; false when none is open under it. */
  boolean cancel(long id);

  /** For a connection that takes no watches (tests of other things). */
  Watches NONE = new Watches() {
    @Override
    public Optional<String> open(long id, Watch.Spec spec) {
      return Optional.of("this connection takes no watches");
    }

    @Override
    public boolean cancel(long id) {
      return false;
    }
  };
}
