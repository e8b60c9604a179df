package io.portal.store;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.UnaryOperator;
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
 * <p>The changed class is defined in H2's package before H2 loads its own, so this must run before the first H2
 * database opens in the JVM. It changes nothing unless the class's bytes are exactly those of the H2 version this
 * was written for (checked by SHA-256), so an H2 upgrade turns it into a logged no-op, never a wrong patch.
 */
public final class H2CommitLeakFix {
  private static final Logger LOG = LoggerFactory.getLogger(H2CommitLeakFix.class);

  static final String CLASS_NAME = "org.h2.mvstore.tx.CommitDecisionMaker";
  /** The class file of H2 2.5.252, the version in the pom. */
  static final String EXPECTED_SHA256 = "b756352a0224d4cdf433750c7288d89dc8d42539ea640b6e713810caf9471076";
  /** invokevirtual Page.getChildPage(I); invokevirtual Page.copy() (constant pool entries 31 and 32). */
  private static final byte[] CHILD_THEN_COPY = {(byte) 0xb6, 0x00, 0x1f, (byte) 0xb6, 0x00, 0x20};
  private static final byte NOP = 0x00;
  /** Another class of H2's transaction package, one that does not refer to the patched class. */
  private static final String ANCHOR_CLASS = "org.h2.mvstore.tx.VersionedBitSet";

  /** What {@link #apply} found. */
  public enum Outcome {
    /** The mended class is in use. */
    APPLIED,
    /** H2's class differs from the one this was written for (another H2 version): left as it is. */
    OTHER_VERSION,
    /** H2 loaded its class before this ran: left as it is. */
    TOO_LATE
  }

  private static Outcome outcome;

  private H2CommitLeakFix() {
  }

  /** Applies the mend once per JVM; later calls return the first outcome. Logs what happened. */
  public static synchronized Outcome apply() {
    if (outcome == null) {
      outcome = define();
      switch (outcome) {
        case APPLIED -> LOG.info("H2 commit page-leak mend applied to {}", CLASS_NAME);
        case OTHER_VERSION -> LOG.warn("{} is not the class of H2 2.5.252; its page-leak mend is not applied (the "
            + "journal file may grow under sustained writes until the next start compacts it)", CLASS_NAME);
        case TOO_LATE -> LOG.warn("H2 was loaded before its page-leak mend could be applied; not applied");
      }
    }
    return outcome;
  }

  private static Outcome define() {
    return define(CLASS_NAME, H2CommitLeakFix::patch);
  }

  /**
   * Defines H2's class {@code className} as {@code patch} changes it, in H2's package, before H2 loads its own; also
   * used by {@link H2LeftoverCommitFix}. {@code patch} returns null for a class file it was not written for.
   */
  static Outcome define(String className, UnaryOperator<byte[]> patch) {
    ClassLoader loader = H2CommitLeakFix.class.getClassLoader();
    byte[] original;
    try (InputStream in = loader.getResourceAsStream(className.replace('.', '/') + ".class")) {
      if (in == null) {
        return Outcome.OTHER_VERSION;
      }
      original = in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("reading H2's " + className, e);
    }
    byte[] patched = patch.apply(original);
    if (patched == null) {
      return Outcome.OTHER_VERSION;
    }
    try {
      Class<?> anchor = Class.forName(ANCHOR_CLASS, false, loader);
      MethodHandles.privateLookupIn(anchor, MethodHandles.lookup()).defineClass(patched);
      return Outcome.APPLIED;
    } catch (LinkageError alreadyLoaded) {
      return Outcome.TOO_LATE;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("defining the mended " + className, e);
    }
  }

  /**
   * {@code classFile} with {@code pattern}, which must occur exactly once, replaced by {@code replacement} (same
   * length); null when the file's SHA-256 is not {@code sha256} or the pattern is not found exactly once.
   */
  static byte[] replaceOnce(byte[] classFile, String sha256, byte[] pattern, byte[] replacement) {
    if (!sha256.equals(sha256(classFile))) {
      return null;
    }
    int at = indexOf(classFile, pattern);
    if (at < 0 || indexOf(classFile, pattern, at + 1) >= 0) {
      return null;
    }
    byte[] patched = classFile.clone();
    System.arraycopy(replacement, 0, patched, at, replacement.length);
    return patched;
  }

  /** The mended class file, or null when {@code classFile} is not the one of H2 2.5.252. */
  static byte[] patch(byte[] classFile) {
    byte[] nops = CHILD_THEN_COPY.clone();
    for (int i = 3; i < nops.length; i++) {
      nops[i] = NOP;
    }
    return replaceOnce(classFile, EXPECTED_SHA256, CHILD_THEN_COPY, nops);
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    return indexOf(data, pattern, 0);
  }

  private static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = from; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
