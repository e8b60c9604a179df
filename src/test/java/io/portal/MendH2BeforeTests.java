package io.portal;

import io.portal.store.H2CommitLeakFix;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Applies {@link H2CommitLeakFix} when the test JVM's JUnit session opens, before any test loads H2, so that the
 * tests that run a durable store in this JVM use H2 as the server does (the server applies it at its start, which in
 * a shared test JVM comes after other tests have loaded H2). Registered in
 * META-INF/services/org.junit.platform.launcher.LauncherSessionListener.
 */
public final class MendH2BeforeTests implements LauncherSessionListener {
  @Override
  public void launcherSessionOpened(LauncherSession session) {
    H2CommitLeakFix.apply();
  }
}
