package io.portal.store;

import io.portal.store.H2ClassMend.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mends, at run time, the H2 defect that can leave a partition unable to write after {@code kill -9}
 * (docs/storage.md).
 *
 * <p>H2 commits a transaction in two steps: it marks the transaction committed in its undo log, then makes each of
 * its changes committed. A process killed between the two leaves the mark in the file. When the database opens
 * again, H2 means to finish such a transaction ({@code TransactionStore.endLeftoverTransactions} calls
 * {@code Transaction.commit()} for it), but in 2.5.252 {@code commit()} does its work only when the status it
 * replaces is an active one, and "committed" is not: the transaction stays open for ever, its changes invisible and
 * its locks held, so the next insert of the same journal key (the partition's next sequence number) waits on it and
 * fails. Here the check {@code isActive(previousStatus)} becomes "true": {@code iload 6; invokestatic isActive;
 * istore_2} becomes {@code iload 6; pop; iconst_1; nop; istore_2} (same length and stack effect). {@code commit()}
 * can be reached only from the active statuses and from "committed" (its status change refuses the others), so
 * the only change is that a leftover committed transaction is finished, as H2's own recovery branch
 * ({@code TransactionStore.commit(transaction, recovery)}) intends.
 *
 * <p>Applied as {@link H2ClassMend} applies every mend: before the first H2 database opens in the JVM, and only to
 * the class file of H2 2.5.252.
 */
public final class H2LeftoverCommitFix {
  private static final Logger LOG = LoggerFactory.getLogger(H2LeftoverCommitFix.class);

  static final String CLASS_NAME = "org.h2.mvstore.tx.Transaction";
  /** The class file of H2 2.5.252, the version in the pom. */
  static final String EXPECTED_SHA256 = "7d5e6f3fc1da3d1721caff7e682220bc24731205bbc73e76013e2b1e68f668dc";
  /** In {@code commit()}: iload 6 (the previous status); invokestatic isActive(I)Z (constant 89); istore_2. */
  private static final byte[] ACTIVE_CHECK = {0x15, 0x06, (byte) 0xb8, 0x00, 0x59, 0x3d};
  /** iload 6; pop; iconst_1; nop; istore_2. */
  private static final byte[] ALWAYS = {0x15, 0x06, 0x57, 0x04, 0x00, 0x3d};

  private H2LeftoverCommitFix() {
  }

  /** Applies the mend once per JVM; later calls return the first outcome. Logs what happened. */
  public static Outcome apply() {
    return H2ClassMend.defineOnce(LOG, "leftover-commit", "after kill -9 a partition may be unable to write",
        CLASS_NAME, H2LeftoverCommitFix::patch);
  }

  /** The mended class file, or null when {@code classFile} is not the one of H2 2.5.252. */
  static byte[] patch(byte[] classFile) {
    return H2ClassMend.replaceOnce(classFile, EXPECTED_SHA256, ACTIVE_CHECK, ALWAYS);
  }
}
