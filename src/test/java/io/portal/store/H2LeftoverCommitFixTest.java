package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2LeftoverCommitFixTest {

  @Test
  void theMendChangesOnlyTheActiveCheckOfCommit() throws Exception {
    byte[] original = H2ClassMend.classFile(H2LeftoverCommitFix.CLASS_NAME);
    byte[] patched = H2LeftoverCommitFix.patch(original);
    assertNotNull(patched, "the class of H2 2.5.252 is recognised");
    int changed = 0;
    for (int i = 0; i < original.length; i++) {
      if (original[i] != patched[i]) {
        changed++;
      }
    }
    assertEquals(3, changed, "invokestatic isActive (3 bytes) becomes pop; iconst_1; nop");
    byte[] other = original.clone();
    other[other.length / 2] ^= 1;
    assertNull(H2LeftoverCommitFix.patch(other), "any other class file is left alone");
  }

  /**
   * The journal file that kill -9 left in a CI run of CrashIT (2026-11-30): a commit marked committed but not
   * finished, holding the row of partition 2's event 76. Without the mend H2 keeps it open and the next event's
   * insert times out on its lock; with it H2 finishes it on open: its 10 rows appear, event 76 among them, and
   * partition 2 writes event 77.
   */
  @Test
  void aCommitCutShortByKillIsFinishedOnOpen(@TempDir Path dir) throws Exception {
    String plain = FreshJvm.run(H2LeftoverCommitProbe.class, "plain", copyOfTheKilledFile(dir, "plain").toString());
    assertTrue(plain.contains("mend=off rows=477 seq=75 insert=failed: Timeout trying to lock table"), plain);
    String mended = FreshJvm.run(H2LeftoverCommitProbe.class, "mend", copyOfTheKilledFile(dir, "mend").toString());
    assertTrue(mended.contains("mend=APPLIED rows=487 seq=76 insert=ok"), mended);
  }

  private static Path copyOfTheKilledFile(Path dir, String name) throws Exception {
    try (InputStream in = new GZIPInputStream(
        H2LeftoverCommitFixTest.class.getResourceAsStream("leftover-commit.mv.db.gz"))) {
      Files.copy(in, dir.resolve(name + ".mv.db"));
    }
    return dir.resolve(name);
  }
}
