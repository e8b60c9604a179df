package io.portal.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Reads RocksDB's write-ahead log files the way RocksDB's point-in-time recovery does, to say what accepting a damaged
 * log drops: everything from the first damaged record on. The format (RocksDB's {@code log_format.h} and
 * {@code write_batch.cc}): 32 KiB blocks of records, each {@code [masked CRC32C: 4][length: 2][type: 1][payload]}
 * (little-endian), a write batch split over FIRST/MIDDLE/LAST records when it does not fit one block; a batch is
 * {@code [sequence: 8][count: 4]} followed by its operations.
 *
 * <p>After the damage, the scan moves to the next block and goes on reading the records that are still whole: those
 * are the writes the recovery drops. The events among them (puts into the events column family) are counted by
 * entity and sequence number; what the damaged bytes themselves held cannot be known.
 */
final class WalScan {
  private static final int BLOCK = 32 * 1024;
  private static final int HEADER = 7;
  private static final int FULL = 1;
  private static final int FIRST = 2;
  private static final int MIDDLE = 3;
  private static final int LAST = 4;

  /** What the scan found: where the log is first damaged (null: nowhere), and the events after that point. */
  record Result(Path damagedFile, long damagedAt, String damage, long unreadableBytes, int droppedBatches,
      Map<String, List<Long>> droppedEvents) {
    long droppedEventCount() {
      return droppedEvents.values().stream().mapToLong(List::size).sum();
    }

    /** One line for the log: where, why, and what is dropped, entity by entity. */
    String describe() {
      if (damagedFile == null) {
        return "no damage found in the write-ahead log";
      }
      StringBuilder text = new StringBuilder(damagedFile + " is damaged at byte " + damagedAt + " (" + damage
          + "); dropped from there: " + droppedBatches + " whole write batches after the damage holding "
          + droppedEventCount() + " events");
      droppedEvents.forEach((id, seqs) -> text.append(", ").append(id).append(" sequence numbers ")
          .append(seqs.get(0)).append("-").append(seqs.get(seqs.size() - 1)).append(" (").append(seqs.size())
          .append(")"));
      return text.append("; and ").append(unreadableBytes).append(" unreadable bytes, contents unknown").toString();
    }
  }

  private WalScan() {
  }

  /** Scans the log files of {@code dir} ({@code *.log}, oldest first); {@code eventsFamily} is the events' id. */
  static Result scan(Path dir, int eventsFamily) throws IOException {
    List<Path> logs;
    try (var files = Files.list(dir)) {
      logs = files.filter(f -> f.getFileName().toString().matches("\\d+\\.log")).sorted().toList();
    }
    Scanner scanner = new Scanner(eventsFamily);
    for (Path log : logs) {
      scanner.file(log, Files.readAllBytes(log));
    }
    return scanner.result();
  }

  private static final class Scanner {
    private final int eventsFamily;
    private Path damagedFile;
    private long damagedAt;
    private String damage;
    private long unreadable;
    private int droppedBatches;
    private final Map<String, List<Long>> dropped = new TreeMap<>();

    Scanner(int eventsFamily) {
      this.eventsFamily = eventsFamily;
    }

    void file(Path path, byte[] bytes) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      java.io.ByteArrayOutputStream batch = null;
      int pos = 0;
      while (pos < bytes.length) {
        int leftInBlock = BLOCK - pos % BLOCK;
        if (leftInBlock < HEADER) { // the block's zero trailer
          pos += leftInBlock;
          continue;
        }
        String problem = null;
        int length = 0;
        int type = 0;
        if (pos + HEADER > bytes.length) {
          problem = "the file ends inside a record header";
        } else {
          length = Short.toUnsignedInt(buffer.getShort(pos + 4));
          type = bytes[pos + 6] & 0xff;
          if (type == 0 && length == 0 && allZero(bytes, pos, bytes.length)) {
            break; // the unwritten end of the file
          } else if (type == 0) {
            problem = length == 0 ? "zeroed bytes" : "a record of type 0";
          } else if (pos + HEADER + length > bytes.length || HEADER + length > leftInBlock) {
            problem = "a record of " + length + " bytes runs past the end of its block or file";
          } else if (unmask(buffer.getInt(pos)) != crc(bytes, pos + 6, 1 + length)) {
            problem = "checksum mismatch";
          }
        }
        if (problem != null) {
          if (damagedFile == null) {
            damagedFile = path;
            damagedAt = pos;
            damage = problem;
          }
          int next = Math.min(bytes.length, pos + leftInBlock); // resynchronise at the next block
          unreadable += next - pos;
          pos = next;
          batch = null;
          continue;
        }
        byte[] payload = java.util.Arrays.copyOfRange(bytes, pos + HEADER, pos + HEADER + length);
        pos += HEADER + length;
        switch (type) {
          case FULL -> batch(payload);
          case FIRST -> {
            batch = new java.io.ByteArrayOutputStream();
            batch.writeBytes(payload);
          }
          case MIDDLE, LAST -> {
            if (batch == null) {
              continue; // the start of this batch was lost: it counts as unreadable
            }
            batch.writeBytes(payload);
            if (type == LAST) {
              batch(batch.toByteArray());
              batch = null;
            }
          }
          default -> { // other record kinds (compression, timestamps) carry no writes
          }
        }
      }
    }

    /** A whole write batch: counted only once the log is damaged before it. */
    private void batch(byte[] batch) {
      if (damagedFile == null) {
        return;
      }
      droppedBatches++;
      ByteBuffer in = ByteBuffer.wrap(batch).order(ByteOrder.LITTLE_ENDIAN);
      in.position(12); // sequence and count
      while (in.hasRemaining()) {
        int tag = in.get() & 0xff;
        int family = 0;
        switch (tag) {
          case 0x4, 0x5, 0x8, 0xE -> family = varint(in); // the column-family forms
          case 0x0, 0x1, 0x7, 0xF -> { }
          default -> {
            return; // an operation Portal never writes: stop decoding this batch
          }
        }
        byte[] key = string(in);
        if (tag == 0x1 || tag == 0x5 || tag == 0xE || tag == 0xF) {
          string(in); // value, or the end of a range
        }
        if (tag == 0x5 && family == eventsFamily && key.length >= 12) {
          dropped.computeIfAbsent(Keys.persistenceId(key), id -> new ArrayList<>()).add(Keys.sequenceNr(key));
        }
      }
    }

    Result result() {
      dropped.values().forEach(java.util.Collections::sort);
      return new Result(damagedFile, damagedAt, damage, unreadable, droppedBatches, dropped);
    }
  }

  private static boolean allZero(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static int crc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }

  /** RocksDB stores {@code rotr(crc, 15) + 0xa282ead8}; this undoes it. */
  private static int unmask(int masked) {
    int rotated = masked - 0xa282ead8;
    return (rotated >>> 17) | (rotated << 15);
  }

  private static int varint(ByteBuffer in) {
    int result = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      int b = in.get() & 0xff;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalArgumentException("varint too long");
  }

  private static byte[] string(ByteBuffer in) {
    byte[] bytes = new byte[varint(in)];
    in.get(bytes);
    return bytes;
  }
}
