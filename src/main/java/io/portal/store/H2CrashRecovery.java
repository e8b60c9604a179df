package io.portal.store;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers an embedded H2 journal file that was not closed cleanly (kill -9, a crash) by a full scan of the file,
 * before the journal opens it the ordinary way. Without this, acknowledged writes were lost.
 *
 * <p>Why: H2 2.5.252 writes each commit as a new chunk, often into space that older chunks freed, and on opening a
 * file that was not closed it looks for the newest chunk only along a short path: the chunk its file header names,
 * then each chunk's guess ({@code next}) of where the one after it will go, plus the chunk at the end of the file.
 * When a chunk does not land where its predecessor guessed (and not at the end), H2 rewrites the file header, but
 * with the <em>predecessor</em> (it updates its record of the newest chunk only after that header write). That
 * chunk, and the chunks that follow it by correct guesses, are then off the path until the header is next
 * rewritten: a crash in between opens the file at the older chunk, and the commits after it are gone, although
 * every one of them is complete in the file. H2 alone under the journal's load lost acknowledged commits after 3 of
 * 80 kills ({@code bench/h2-crash.sh}; docs/storage.md), and CrashIT once saw an acknowledged write come back older.
 *
 * <p>What this does: when the file header lacks H2's clean-shutdown mark, it opens the file at the storage level
 * ({@link MVStore}, not SQL) in H2's recovery mode, which reads every block of the file, takes the newest chunk whose
 * chunks are all intact, and closes it again: that writes a header naming that chunk, marked clean, and the
 * journal then opens exactly that state. Commits are only kept, never made up: a chunk that was being written at
 * the crash fails its checks and is ignored, as are transactions that had not committed (the SQL layer rolls them
 * back when it opens). It costs one read of the file, and only after an unclean stop.
 *
 * <p>Uses H2's storage-level API and its file header format: tied to the H2 version in the pom.
 */
public final class H2CrashRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(H2CrashRecovery.class);
  /** H2 writes its file header twice, in the file's first two blocks of this size. */
  private static final int HEADER_BLOCK = 4096;

  private H2CrashRecovery() {
  }

  /**
   * What a start found: the version H2's own quick recovery opens, the version the full scan recovered (newer when
   * H2 alone would have dropped commits), and the time spent.
   */
  record Outcome(long quickVersion, long recoveredVersion, long millis) {
  }

  /**
   * Recovers the journal file when it is an embedded H2 file that exists and was not closed cleanly; call before
   * anything opens the database. Does nothing for other databases. A failure is logged and leaves the file to H2's
   * ordinary opening.
   *
   * @return what was done, or null when nothing was
   */
  public static Outcome runIfUnclean(Config config) {
    if (!JournalSchema.isH2File(config)) {
      return null;
    }
    return recoverIfUnclean(JournalSchema.h2File(config));
  }

  /** {@link #runIfUnclean} for the H2 file {@code file} ({@code ....mv.db}). */
  static Outcome recoverIfUnclean(Path file) {
    try {
      if (!Files.exists(file) || closedCleanly(file)) {
        return null;
      }
      long startNanos = System.nanoTime();
      long quickVersion = openedVersion(new MVStore.Builder().fileName(file.toString()).readOnly());
      long recoveredVersion = openedVersion(new MVStore.Builder().fileName(file.toString()).recoveryMode());
      Outcome outcome = new Outcome(quickVersion, recoveredVersion, (System.nanoTime() - startNanos) / 1_000_000);
      if (recoveredVersion > quickVersion) {
        LOG.warn("the journal file {} was not closed cleanly; a full scan found version {} where H2 alone would "
            + "have opened version {}: {} newer commits kept ({} ms; docs/storage.md)", file, recoveredVersion,
            quickVersion, recoveredVersion - quickVersion, outcome.millis());
      } else {
        LOG.info("the journal file {} was not closed cleanly; a full scan found nothing newer than version {} "
            + "({} ms)", file, recoveredVersion, outcome.millis());
      }
      return outcome;
    } catch (IOException | RuntimeException e) {
      LOG.warn("recovering the journal file {} by a full scan failed; leaving it to H2: {}", file, e.toString());
      return null;
    }
  }

  /** Opens, reads the version, closes (which, read-write, writes a header marked clean). */
  private static long openedVersion(MVStore.Builder builder) {
    MVStore store = builder.open();
    try {
      return store.getCurrentVersion();
    } finally {
      store.close();
    }
  }

  /**
   * True when both copies of the file header carry H2's clean-shutdown mark ({@code clean:1}), which H2 writes on
   * closing and drops with its first write after opening.
   */
  static boolean closedCleanly(Path file) throws IOException {
    byte[] headers = new byte[2 * HEADER_BLOCK];
    int read;
    try (InputStream in = Files.newInputStream(file)) {
      read = in.readNBytes(headers, 0, headers.length);
    }
    if (read < headers.length) {
      return false;
    }
    return isMarkedClean(headers, 0) && isMarkedClean(headers, HEADER_BLOCK);
  }

  /** The header at {@code offset}: comma-separated {@code key:value} pairs up to the first newline. */
  private static boolean isMarkedClean(byte[] headers, int offset) {
    String text = new String(headers, offset, HEADER_BLOCK, StandardCharsets.ISO_8859_1);
    int end = text.indexOf('\n');
    for (String pair : (end < 0 ? "" : text.substring(0, end)).split(",")) {
      if (pair.equals("clean:1")) {
        return true;
      }
    }
    return false;
  }
}
