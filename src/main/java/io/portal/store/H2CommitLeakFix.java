package io.portal.store;

import io.portal.store.H2ClassMend.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mends, at run time, the H2 defect that made the journal file grow without bound (docs/storage.md).
 *
 * <p>When a transaction commits, H2 2.5.252 finishes its changes one B-tree leaf at a time
 * ({@code org.h2.mvstore.tx.CommitDecisionMaker}). If the transaction deleted every entry of a leaf and the leaf's
 * parent has only one other child, the parent is replaced by that other child, but by a copy of it: the original
 * child page is never reported as removed, so H2 counts it live for ever, and the file chunk holding it (up to a few
 * MB) is never reused. The deletions of old events do exactly that, a few times a second under sustained writes.
 * H2's own delete path ({@code MVMap.operate}) reuses the child page as it is, which is what this makes the commit
 * path do too: the one {@code Page.copy()} call after {@code getChildPage(1 - index)} becomes three {@code nop}s (same
 * length and stack effect: the method's offsets and stack map frames stay valid).
 *
 * <p>Applied as {@link H2ClassMend} applies every mend: before the first H2 database opens in the JVM, and only to
 * the class file of H2 2.5.252.
 */
public final class H2CommitLeakFix {
  private static final Logger LOG = LoggerFactory.getLogger(H2CommitLeakFix.class);

  static final String CLASS_NAME = "org.h2.mvstore.tx.CommitDecisionMaker";
  /** The class file of H2 2.5.252, the version in the pom. */
  static final String EXPECTED_SHA256 = "b756352a0224d4cdf433750c7288d89dc8d42539ea640b6e713810caf9471076";
  /** invokevirtual Page.getChildPage(I); invokevirtual Page.copy() (constant pool entries 31 and 32). */
  private static final byte[] CHILD_THEN_COPY = {(byte) 0xb6, 0x00, 0x1f, (byte) 0xb6, 0x00, 0x20};
  /** invokevirtual Page.getChildPage(I); nop; nop; nop. */
  private static final byte[] CHILD_ONLY = {(byte) 0xb6, 0x00, 0x1f, 0x00, 0x00, 0x00};

  private H2CommitLeakFix() {
  }

  /** Applies the mend once per JVM; later calls return the first outcome. Logs what happened. */
  public static Outcome apply() {
    return H2ClassMend.defineOnce(LOG, "commit page-leak", "the journal file may grow under sustained writes until "
        + "the next start compacts it", CLASS_NAME, H2CommitLeakFix::patch);
  }

  /** The mended class file, or null when {@code classFile} is not the one of H2 2.5.252. */
  static byte[] patch(byte[] classFile) {
    return H2ClassMend.replaceOnce(classFile, EXPECTED_SHA256, CHILD_THEN_COPY, CHILD_ONLY);
  }
}
