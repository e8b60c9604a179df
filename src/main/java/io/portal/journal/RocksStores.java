package io.portal.journal;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RocksDB journals of one actor system, one per folder, shared by the journal and the snapshot store plugins and
 * closed when the system terminates. Settings from {@code portal.rocksdb} (reference.conf).
 */
public final class RocksStores implements Extension {
  private static final Id ID = new Id();
  private static final Logger LOG = LoggerFactory.getLogger(RocksStores.class);

  private final Config settings;
  private final Map<Path, RocksStore> open = new ConcurrentHashMap<>();

  private RocksStores(ExtendedActorSystem system) {
    this.settings = system.settings().config().getConfig("portal.rocksdb");
    system.registerOnTermination(this::closeAll);
  }

  /** The extension of {@code system}. */
  public static RocksStores get(ActorSystem system) {
    return ID.get(system);
  }

  /** The store in {@code portal.rocksdb.dir}, opened on first use; fails with RocksDB's reason when it cannot open. */
  public RocksStore store() {
    Path dir = Path.of(settings.getString("dir")).toAbsolutePath().normalize();
    return open.computeIfAbsent(dir, d -> {
      try {
        long start = System.nanoTime();
        RocksStore store = RocksStore.open(d, settings.getBytes("block-cache-size"),
            settings.getBytes("write-buffer-size"), settings.getBoolean("accept-damaged-log"));
        store.writer().stallTimeout(settings.getDuration("stall-timeout"));
        LOG.info("journal in {} opened in {} ms", d, (System.nanoTime() - start) / 1_000_000);
        return store;
      } catch (RocksDBException e) {
        boolean corruption = e.getStatus() != null && e.getStatus().getCode() == org.rocksdb.Status.Code.Corruption;
        throw new IllegalStateException("cannot open the journal in " + d + ": " + e.getMessage() + (corruption
            ? ". The journal is damaged; portal.rocksdb.accept-damaged-log = on starts with what precedes the damage "
            + "and logs exactly which events are dropped" : ""), e);
      }
    });
  }

  private void closeAll() {
    open.values().forEach(RocksStore::close);
    open.clear();
  }

  private static final class Id extends AbstractExtensionId<RocksStores> {
    @Override
    public RocksStores createExtension(ExtendedActorSystem system) {
      return new RocksStores(system);
    }
  }
}
