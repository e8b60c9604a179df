package io.portal.journal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.typesafe.config.Config;
import io.portal.journal.proto.StoredSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.SerializationExtension;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * Pekko Persistence snapshot store plugin on {@link RocksStore}: one record per (entity, sequence number) in the
 * {@code snapshots} column family, written through the group-commit writer, so a saved snapshot is synced. Loading
 * walks an entity's snapshots newest first and returns the first that meets the criteria.
 */
public final class RocksSnapshotStore extends SnapshotStore {
  private final RocksStore store;
  private final Payloads payloads;
  private final Executor reads;

  public RocksSnapshotStore(Config config, String configPath) {
    this.store = RocksStores.get(context().system()).store();
    this.payloads = new Payloads(SerializationExtension.get(context().system()));
    this.reads = context().system().dispatcher();
  }

  /** A stored snapshot of the entity, with its sequence number. */
  private record Found(long sequenceNr, StoredSnapshot stored) {
  }

  /**
   * Loads on the system's dispatcher, not on this actor: the partitions of a restarting node load their snapshots in
   * parallel, on every core, instead of one after the other.
   */
  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return FutureConverters.asScala(CompletableFuture.supplyAsync(() -> load(persistenceId, criteria), reads));
  }

  private Optional<SelectedSnapshot> load(String persistenceId, SnapshotSelectionCriteria criteria) {
    try {
      for (Found found : newestFirst(persistenceId, criteria)) {
        Object snapshot = payloads.deserialize(found.stored().getSerializerId(),
            found.stored().getSerializerManifest(), found.stored().getPayload());
        return Optional.of(new SelectedSnapshot(SnapshotMetadata.apply(persistenceId, found.sequenceNr(),
            found.stored().getTimestampMillis()), snapshot));
      }
      return Optional.empty();
    } catch (RuntimeException | RocksDBException | InvalidProtocolBufferException e) {
      throw new IllegalStateException("loading a snapshot of " + persistenceId + " from " + store.dir() + " failed: "
          + e.getMessage(), e);
    }
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    Payloads.Serialized payload;
    try {
      payload = payloads.serialize(snapshot);
    } catch (Exception e) { // Pekko's serialization throws checked NotSerializableException unchecked
      return FutureConverters.asScala(CompletableFuture.failedFuture(e));
    }
    byte[] value = StoredSnapshot.newBuilder()
        .setSerializerId(payload.serializerId())
        .setSerializerManifest(payload.manifest())
        .setPayload(payload.bytes())
        .setTimestampMillis(metadata.timestamp())
        .build().toByteArray();
    byte[] key = Keys.of(metadata.persistenceId(), metadata.sequenceNr());
    return FutureConverters.asScala(store.writer().submit(batch -> batch.put(store.snapshots(), key, value)));
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    byte[] key = Keys.of(metadata.persistenceId(), metadata.sequenceNr());
    return FutureConverters.asScala(store.writer().submit(batch -> batch.delete(store.snapshots(), key)));
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    List<byte[]> keys = new ArrayList<>();
    try {
      for (Found found : newestFirst(persistenceId, criteria)) {
        keys.add(Keys.of(persistenceId, found.sequenceNr()));
      }
    } catch (RocksDBException | InvalidProtocolBufferException e) {
      return FutureConverters.asScala(CompletableFuture.failedFuture(e));
    }
    return FutureConverters.asScala(store.writer().submit(batch -> {
      for (byte[] key : keys) {
        batch.delete(store.snapshots(), key);
      }
    }));
  }

  /** The entity's snapshots that meet {@code criteria}, newest first. */
  private List<Found> newestFirst(String persistenceId, SnapshotSelectionCriteria criteria)
      throws RocksDBException, InvalidProtocolBufferException {
    List<Found> found = new ArrayList<>();
    try (RocksIterator snapshots = store.db().newIterator(store.snapshots())) {
      long from = Math.min(criteria.maxSequenceNr(), Long.MAX_VALUE);
      for (snapshots.seekForPrev(Keys.of(persistenceId, from)); snapshots.isValid(); snapshots.prev()) {
        byte[] key = snapshots.key();
        if (!Keys.belongsTo(key, persistenceId) || Keys.sequenceNr(key) < criteria.minSequenceNr()) {
          break;
        }
        StoredSnapshot stored = StoredSnapshot.parseFrom(snapshots.value());
        long timestamp = stored.getTimestampMillis();
        if (timestamp <= criteria.maxTimestamp() && timestamp >= criteria.minTimestamp()) {
          found.add(new Found(Keys.sequenceNr(key), stored));
        }
      }
      snapshots.status();
    }
    return found;
  }

  private static <T> Future<T> done(T value) {
    return FutureConverters.asScala(CompletableFuture.completedFuture(value));
  }
}
