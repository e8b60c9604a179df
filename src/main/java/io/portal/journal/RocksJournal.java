package io.portal.journal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.typesafe.config.Config;
import io.portal.journal.proto.StoredEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.SerializationExtension;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Pekko Persistence journal plugin on {@link RocksStore}. Events are serialized on the journal's thread; all events of
 * one call go to the group-commit writer as one atomic batch together with each entity's highest sequence number, and
 * the call completes once that batch is synced. An event that cannot be serialized rejects only its own
 * {@link AtomicWrite}. Deleting keeps the highest sequence number, so it never goes down.
 */
public final class RocksJournal extends AsyncWriteJournal {
  private final RocksStore store;
  private final Payloads payloads;
  private final Executor reads;

  public RocksJournal(Config config, String configPath) {
    this.store = RocksStores.get(context().system()).store();
    this.payloads = new Payloads(SerializationExtension.get(context().system()));
    this.reads = context().system().dispatcher();
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    List<byte[][]> puts = new ArrayList<>();
    Map<String, Long> highest = new HashMap<>();
    for (AtomicWrite write : messages) {
      try {
        List<byte[][]> these = new ArrayList<>();
        for (PersistentRepr event : CollectionConverters.asJava(write.payload())) {
          these.add(new byte[][] {Keys.of(event.persistenceId(), event.sequenceNr()), stored(event).toByteArray()});
        }
        puts.addAll(these);
        highest.merge(write.persistenceId(), write.highestSequenceNr(), Math::max);
        results.add(Optional.empty());
      } catch (Exception e) { // Pekko's serialization throws checked NotSerializableException unchecked
        results.add(Optional.of(e)); // this write only: it could not be serialized
      }
    }
    if (puts.isEmpty()) {
      return FutureConverters.asScala(CompletableFuture.completedFuture(results));
    }
    CompletionStage<Void> synced = store.writer().submit(batch -> {
      for (byte[][] put : puts) {
        batch.put(store.events(), put[0], put[1]);
      }
      for (Map.Entry<String, Long> entry : highest.entrySet()) {
        batch.put(store.meta(), Keys.highest(entry.getKey()), Keys.longValue(entry.getValue()));
      }
    });
    return FutureConverters.asScala(synced.thenApply(done -> (Iterable<Optional<Exception>>) results));
  }

  private StoredEvent stored(PersistentRepr event) {
    Payloads.Serialized payload = payloads.serialize(event.payload());
    return StoredEvent.newBuilder()
        .setSerializerId(payload.serializerId())
        .setSerializerManifest(payload.manifest())
        .setPayload(payload.bytes())
        .setWriterUuid(event.writerUuid())
        .setAdapterManifest(event.manifest())
        .setTimestampMillis(event.timestamp())
        .build();
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    long to = Math.min(toSequenceNr, highest(persistenceId));
    return FutureConverters.asScala(store.writer().submit(batch ->
        batch.deleteRange(store.events(), Keys.of(persistenceId, 0), Keys.of(persistenceId, to + 1))));
  }

  /**
   * Replays on the system's dispatcher, not on this actor: partitions recover in parallel, and writes of running
   * partitions are not held up behind a long replay.
   */
  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
      Consumer<PersistentRepr> replayCallback) {
    return FutureConverters.asScala(CompletableFuture.runAsync(
        () -> replay(persistenceId, fromSequenceNr, toSequenceNr, max, replayCallback), reads));
  }

  private void replay(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
      Consumer<PersistentRepr> replayCallback) {
    try (RocksIterator events = store.db().newIterator(store.events())) {
      long count = 0;
      for (events.seek(Keys.of(persistenceId, fromSequenceNr)); events.isValid() && count < max; events.next()) {
        byte[] key = events.key();
        if (!Keys.belongsTo(key, persistenceId) || Keys.sequenceNr(key) > toSequenceNr) {
          break;
        }
        replayCallback.accept(repr(persistenceId, Keys.sequenceNr(key), StoredEvent.parseFrom(events.value())));
        count++;
      }
      events.status();
    } catch (InvalidProtocolBufferException | RocksDBException | RuntimeException e) {
      throw new IllegalStateException("replaying " + persistenceId + " from the journal in " + store.dir()
          + " failed: " + e.getMessage(), e);
    }
  }

  private PersistentRepr repr(String persistenceId, long sequenceNr, StoredEvent stored) {
    Object payload = payloads.deserialize(stored.getSerializerId(), stored.getSerializerManifest(),
        stored.getPayload());
    return PersistentRepr.apply(payload, sequenceNr, persistenceId, stored.getAdapterManifest(), false,
        ActorRef.noSender(), stored.getWriterUuid()).withTimestamp(stored.getTimestampMillis());
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    try {
      return FutureConverters.asScala(CompletableFuture.completedFuture(highest(persistenceId)));
    } catch (IllegalStateException e) {
      return FutureConverters.asScala(CompletableFuture.failedFuture(e));
    }
  }

  private long highest(String persistenceId) {
    try {
      byte[] value = store.db().get(store.meta(), Keys.highest(persistenceId));
      return value == null ? 0 : Keys.longOf(value);
    } catch (RocksDBException e) {
      throw new IllegalStateException("reading the highest sequence number of " + persistenceId + ": "
          + e.getMessage(), e);
    }
  }
}
