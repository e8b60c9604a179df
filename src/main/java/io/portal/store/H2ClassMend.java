package io.portal.store;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;

/**
 * How Portal mends one of H2's classes at run time ({@link H2CommitLeakFix}, {@link H2LeftoverCommitFix}): the
 * class file is read from H2's jar, changed by a few bytes of the same length and stack effect (so offsets and
 * stack map frames stay valid), and defined in H2's package before H2 loads its own. Nothing is changed unless the
 * class file is exactly the one of the H2 version a mend was written for (checked by SHA-256), so an H2 upgrade
 * turns a mend into a logged no-op, never a wrong patch.
 */
public final class H2ClassMend {
  /** Another class of H2's transaction package, one that refers to neither mended class. */
  private static final String ANCHOR_CLASS = "org.h2.mvstore.tx.VersionedBitSet";

  /** What applying a mend found. */
  public enum Outcome {
    /** The mended class is in use. */
    APPLIED,
    /** H2's class differs from the one the mend was written for (another H2 version): left as it is. */
    OTHER_VERSION,
    /** H2 loaded its class before the mend ran: left as it is. */
    TOO_LATE
  }

  private H2ClassMend() {
  }

  /**
   * The outcome of each mend applied in this JVM, by class name. Static because what it records is: a class can be
   * defined in H2's class loader once per JVM, so a second server in the same JVM (tests) must get the first
   * outcome, not a TOO_LATE of its own.
   */
  private static final Map<String, Outcome> OUTCOMES = new HashMap<>();

  /**
   * Defines H2's class {@code className} as {@code patch} changes it, once per JVM, and logs the outcome:
   * {@code mend} names the mend, {@code withoutIt} says what a user risks when it is not applied. Later calls for
   * the same class return the first outcome and log nothing.
   */
  static synchronized Outcome defineOnce(Logger log, String mend, String withoutIt, String className,
      UnaryOperator<byte[]> patch) {
    Outcome known = OUTCOMES.get(className);
    if (known != null) {
      return known;
    }
    Outcome outcome = define(className, patch);
    OUTCOMES.put(className, outcome);
    switch (outcome) {
      case APPLIED -> log.info("H2 {} mend applied to {}", mend, className);
      case OTHER_VERSION -> log.warn("{} is not the class of H2 2.5.252; its {} mend is not applied ({})", className,
          mend, withoutIt);
      case TOO_LATE -> log.warn("H2 was loaded before its {} mend could be applied; not applied", mend);
    }
    return outcome;
  }

  private static Outcome define(String className, UnaryOperator<byte[]> patch) {
    byte[] original = classFile(className);
    byte[] patched = original == null ? null : patch.apply(original);
    if (patched == null) {
      return Outcome.OTHER_VERSION;
    }
    try {
      Class<?> anchor = Class.forName(ANCHOR_CLASS, false, H2ClassMend.class.getClassLoader());
      MethodHandles.privateLookupIn(anchor, MethodHandles.lookup()).defineClass(patched);
      return Outcome.APPLIED;
    } catch (LinkageError alreadyLoaded) {
      return Outcome.TOO_LATE;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("defining the mended " + className, e);
    }
  }

  /** The class file of H2's class {@code className} as its jar holds it, or null when there is none. */
  static byte[] classFile(String className) {
    try (InputStream in = H2ClassMend.class.getClassLoader()
        .getResourceAsStream(className.replace('.', '/') + ".class")) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("reading H2's " + className, e);
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
    int at = indexOf(classFile, pattern, 0);
    if (at < 0 || indexOf(classFile, pattern, at + 1) >= 0) {
      return null;
    }
    byte[] patched = classFile.clone();
    System.arraycopy(replacement, 0, patched, at, replacement.length);
    return patched;
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
