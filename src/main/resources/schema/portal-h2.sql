-- Tables of pekko-persistence-jdbc 1.1 (its schema/h2/h2-create-schema.sql), made idempotent, plus Portal's own.
-- Leaner than the plugin's for the write path, since Portal never reads by tag or by global order (no read
-- journal): "ordering" has no unique index (the identity column still numbers rows), event_tag no foreign key to
-- it, and the event payload is inline BINARY VARYING (up to 1e9 bytes) rather than a BLOB, which H2 moves to
-- separate LOB storage above 256 bytes. Each H2 commit rewrites every index page it touched, so two fewer
-- indexes per insert are most of the gain: durable SET 50x16 16k -> 25-28k ops/s (docs/BENCHMARKS.md).
-- Folders created before keep their tables (CREATE ... IF NOT EXISTS) and work as before.
CREATE TABLE IF NOT EXISTS PUBLIC."event_journal" (
  "ordering" BIGINT NOT NULL AUTO_INCREMENT,
  "deleted" BOOLEAN DEFAULT false NOT NULL,
  "persistence_id" VARCHAR(255) NOT NULL,
  "sequence_number" BIGINT NOT NULL,
  "writer" VARCHAR NOT NULL,
  "write_timestamp" BIGINT NOT NULL,
  "adapter_manifest" VARCHAR NOT NULL,
  "event_payload" BINARY VARYING NOT NULL,
  "event_ser_id" INTEGER NOT NULL,
  "event_ser_manifest" VARCHAR NOT NULL,
  "meta_payload" BLOB,
  "meta_ser_id" INTEGER,
  "meta_ser_manifest" VARCHAR,
  PRIMARY KEY("persistence_id", "sequence_number")
);
-- H2 numbers "ordering" from a sequence that it saves, in a commit of its own (a whole chunk written), whenever the
-- numbers it reserved run out: 32 at a time by default, one extra commit (of every dirty page) per 32 events, which
-- was 7-8 % of the server's CPU in durable SET. Reserving 100 000 at a time makes that rare; a crash skips
-- at most the unused rest of the reservation (gaps in "ordering", which nothing in Portal reads). Runs on every
-- start, so folders created before get it too.
ALTER TABLE PUBLIC."event_journal" ALTER COLUMN "ordering" SET CACHE 100000;
CREATE TABLE IF NOT EXISTS PUBLIC."event_tag" (
  "event_id" BIGINT NOT NULL,
  "tag" VARCHAR NOT NULL,
  PRIMARY KEY("event_id", "tag")
);
CREATE TABLE IF NOT EXISTS PUBLIC."snapshot" (
  "persistence_id" VARCHAR(255) NOT NULL,
  "sequence_number" BIGINT NOT NULL,
  "created" BIGINT NOT NULL,
  "snapshot_ser_id" INTEGER NOT NULL,
  "snapshot_ser_manifest" VARCHAR NOT NULL,
  "snapshot_payload" BLOB NOT NULL,
  "meta_ser_id" INTEGER,
  "meta_ser_manifest" VARCHAR,
  "meta_payload" BLOB,
  PRIMARY KEY("persistence_id", "sequence_number")
);
CREATE TABLE IF NOT EXISTS PUBLIC."portal_meta" (
  "name" VARCHAR(64) PRIMARY KEY,
  "value" VARCHAR(255) NOT NULL
);
