package io.portal.journal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.SstFileManager;
import org.rocksdb.Statistics;
import org.rocksdb.Status;
import org.rocksdb.TickerType;
import org.rocksdb.WALRecoveryMode;
import org.slf4j.LoggerFactory;

/**
 * One RocksDB database holding a node's journal: column families {@code events} and {@code snapshots} keyed by
 * {@link Keys}, and the default one for metadata (each entity's highest sequence number). Opened once per data folder
 * and shared by the journal and the snapshot store; every write goes through its {@link GroupCommitWriter}, so an
 * acknowledged write has been synced to disk. Closing closes the writer first, then every native object, the database
 * last.
 *
 * <p>Damage is refused, never served: WAL recovery is absolute-consistency (a damaged log fails the open) and
 * paranoid checks are on, so opening a damaged folder throws with RocksDB's description of the damage.
 */
public final class RocksStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final Statistics statistics;
  private final SstFileManager fileManager;
  private final LRUCache blockCache;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final RocksDB db;
  private final ColumnFamilyHandle meta;
  private final ColumnFamilyHandle events;
  private final ColumnFamilyHandle snapshots;
  private final GroupCommitWriter writer;

  /**
   * Opens (creating if needed) the database in {@code dir}.
   *
   * @param blockCacheBytes  shared block cache for reads (replay, snapshot loads)
   * @param writeBufferBytes size of each column family's memtable
   * @throws RocksDBException when the folder cannot be opened, damage included; the message says what RocksDB found
   */
  public static RocksStore open(Path dir, long blockCacheBytes, long writeBufferBytes) throws RocksDBException {
    return open(dir, blockCacheBytes, writeBufferBytes, false);
  }

  /**
   * Opens (creating if needed) the database in {@code dir}; with {@code acceptDamagedLog}, a write-ahead log damaged
   * at some point is recovered up to that point (RocksDB's point-in-time recovery) instead of refused, and the log
   * says exactly what was dropped ({@link WalScan}).
   */
  public static RocksStore open(Path dir, long blockCacheBytes, long writeBufferBytes, boolean acceptDamagedLog)
      throws RocksDBException {
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new RocksDBException("cannot create the journal folder " + dir + ": " + e.getMessage());
    }
    try {
      return new RocksStore(dir, blockCacheBytes, writeBufferBytes, WALRecoveryMode.AbsoluteConsistency);
    } catch (RocksDBException e) {
      boolean corruption = e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption;
      if (!acceptDamagedLog || !corruption) {
        throw e;
      }
      WalScan.Result scan;
      try {
        scan = WalScan.scan(dir, EVENTS_FAMILY_ID);
      } catch (java.io.IOException io) {
        throw new RocksDBException("reading the write-ahead log of " + dir + " to see what is damaged: "
            + io.getMessage());
      }
      LoggerFactory.getLogger(RocksStore.class).warn("the journal in {} is damaged ({}); starting anyway, as "
          + "portal.rocksdb.accept-damaged-log = on says: {}", dir, e.getMessage(), scan.describe());
      RocksStore store = new RocksStore(dir, blockCacheBytes, writeBufferBytes, WALRecoveryMode.PointInTimeRecovery);
      store.lastDamage = scan;
      return store;
    }
  }

  /** The events column family is the second one created in a new folder, so its id is 1 in every folder. */
  private static final int EVENTS_FAMILY_ID = 1;
  private WalScan.Result lastDamage;

  /** What accepting a damaged log dropped at open, or null when the log was whole. */
  WalScan.Result acceptedDamage() {
    return lastDamage;
  }

  private RocksStore(Path dir, long blockCacheBytes, long writeBufferBytes, WALRecoveryMode recovery)
      throws RocksDBException {
    this.dir = dir;
    statistics = new Statistics();
    fileManager = new SstFileManager(Env.getDefault());
    blockCache = new LRUCache(blockCacheBytes);
    dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setParanoidChecks(true)
        .setWalRecoveryMode(recovery)
        .setStatistics(statistics)
        // watches free space: after "no space left on device" RocksDB recovers by itself once space is freed
        .setSstFileManager(fileManager)
        // RocksDB's own info log: a new file at every open, 1000 kept by default
        .setKeepLogFileNum(5)
        .setMaxLogFileSize(16L << 20)
        // the metadata and snapshots column families take few bytes per batch: without this cap their memtables,
        // rarely full, would keep every log file since their last flush (up to four times the memtables' size)
        .setMaxTotalWalSize(2 * writeBufferBytes);
    cfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(writeBufferBytes)
        .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor("events".getBytes(StandardCharsets.UTF_8), cfOptions),
        new ColumnFamilyDescriptor("snapshots".getBytes(StandardCharsets.UTF_8), cfOptions));
    RocksDB opened;
    try {
      opened = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      closeOptions();
      throw e;
    }
    db = opened;
    meta = handles.get(0);
    events = handles.get(1);
    if (events.getID() != EVENTS_FAMILY_ID) {
      throw new IllegalStateException("the events column family of " + dir + " has id " + events.getID());
    }
    snapshots = handles.get(2);
    writer = new GroupCommitWriter(db, "portal-journal-writer " + dir);
  }

  RocksDB db() {
    return db;
  }

  ColumnFamilyHandle meta() {
    return meta;
  }

  ColumnFamilyHandle events() {
    return events;
  }

  ColumnFamilyHandle snapshots() {
    return snapshots;
  }

  GroupCommitWriter writer() {
    return writer;
  }

  /**
   * The value recorded under {@code name} in the metadata; the first call for a name records {@code value} (synced)
   * and returns it. For facts fixed when a folder is created, such as how the data is laid out.
   */
  public long recordOnce(String name, long value) throws RocksDBException {
    byte[] key = ("m:" + name).getBytes(StandardCharsets.UTF_8);
    byte[] stored = db.get(meta, key);
    if (stored != null) {
      return Keys.longOf(stored);
    }
    try {
      writer.submit(batch -> batch.put(meta, key, Keys.longValue(value))).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RocksDBException("interrupted while recording " + name);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new RocksDBException("recording " + name + " failed: " + e.getCause().getMessage());
    }
    return value;
  }

  /**
   * What the journal holds, entity by entity: counted with one pass over the keys, so for tests, tools and
   * occasional reports, not for a request path.
   */
  public Census census() throws RocksDBException {
    Map<String, long[]> events = new TreeMap<>();
    Map<String, long[]> snapshots = new TreeMap<>();
    count(this.events, events);
    count(this.snapshots, snapshots);
    return new Census(events, snapshots);
  }

  /** Per persistence id, {@code [count, lowest sequence number, highest]} of events and of snapshots. */
  public record Census(Map<String, long[]> events, Map<String, long[]> snapshots) {
    public long eventCount() {
      return events.values().stream().mapToLong(range -> range[0]).sum();
    }

    public long snapshotCount() {
      return snapshots.values().stream().mapToLong(range -> range[0]).sum();
    }
  }

  private void count(ColumnFamilyHandle family, Map<String, long[]> into) throws RocksDBException {
    try (RocksIterator it = db.newIterator(family)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        long sequenceNr = Keys.sequenceNr(key);
        long[] range = into.computeIfAbsent(Keys.persistenceId(key), id -> new long[] {0, sequenceNr, sequenceNr});
        range[0]++;
        range[2] = sequenceNr;
      }
      it.status();
    }
  }

  /** The folder of the database. */
  /**
   * A consistent copy of the database in {@code target} (which must not exist), taken while writes go on: every write
   * synced before the call is in it. RocksDB's checkpoint: memtables flushed, table files hard-linked when
   * {@code target} is on the same file system (copied otherwise), the live log files copied. The copy opens as a
   * journal folder of its own.
   */
  public void checkpoint(Path target) throws RocksDBException {
    try (org.rocksdb.Checkpoint checkpoint = org.rocksdb.Checkpoint.create(db)) {
      checkpoint.createCheckpoint(target.toString());
    }
  }

  public Path dir() {
    return dir;
  }

  /** Why writes fail now (the disk is full, an I/O error), or null; clears by itself once RocksDB writes again. */
  public WriteTrouble writeTrouble() {
    return writer.trouble();
  }

  /** How many times RocksDB has synced its write-ahead log: at least once per batch the writer committed. */
  public long walSyncs() {
    return statistics.getTickerCount(TickerType.WAL_FILE_SYNCED);
  }

  /**
   * Closes the database, after writing what its memtables hold to table files: the next open then has no write-ahead
   * log to replay (synced writes are safe either way; this only makes a start after a clean stop faster).
   */
  @Override
  public void close() {
    writer.close();
    try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush, handles);
    } catch (RocksDBException e) {
      LoggerFactory.getLogger(RocksStore.class).warn("flushing the journal in {} before closing: {} (the next "
          + "start replays its write-ahead log instead)", dir, e.getMessage());
    }
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    closeOptions();
  }

  private void closeOptions() {
    cfOptions.close();
    dbOptions.close();
    blockCache.close();
    statistics.close();
    fileManager.close();
  }
}
