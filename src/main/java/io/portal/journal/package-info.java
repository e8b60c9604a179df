/**
 * The embedded journal on RocksDB: a Pekko Persistence journal plugin ({@link io.portal.journal.RocksJournal}) and
 * snapshot store plugin ({@link io.portal.journal.RocksSnapshotStore}) sharing one database per folder
 * ({@link io.portal.journal.RocksStore}, opened once through {@link io.portal.journal.RocksStores}). Every write goes
 * through one group-commit writer that syncs each batch before acknowledging any write in it. Knows Pekko Persistence
 * and RocksDB; nothing of partitions, connections or the wire.
 */
package io.portal.journal;
