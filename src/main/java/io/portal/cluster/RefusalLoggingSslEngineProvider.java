package io.portal.cluster;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * Pekko's rotating-keys TLS engine for the cluster port, with the refusals it makes on the accepting side logged:
 * Pekko only logs the failures of connections it opens, so without this a node would refuse a peer with no key or the
 * wrong one in silence. At most one line every 10 s, with the number of refusals since the last line.
 */
public final class RefusalLoggingSslEngineProvider implements SSLEngineProvider {
  private static final Logger LOG = LoggerFactory.getLogger(RefusalLoggingSslEngineProvider.class);

  private final RotatingKeysSSLEngineProvider delegate;
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - 20_000_000_000L);

  public RefusalLoggingSslEngineProvider(ActorSystem system) {
    this.delegate = new RotatingKeysSSLEngineProvider(system);
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    return new Logged(delegate.createServerSSLEngine(hostname, port));
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    return delegate.createClientSSLEngine(hostname, port);
  }

  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    return delegate.verifyClientSession(hostname, session);
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    Option<Throwable> failed = delegate.verifyServerSession(hostname, session);
    if (failed.isDefined()) {
      refusal(failed.get().getMessage());
    }
    return failed;
  }

  private void refusal(String reason) {
    long count = refused.incrementAndGet();
    long last = lastLogNanos.get();
    long now = System.nanoTime();
    if (now - last >= 10_000_000_000L && lastLogNanos.compareAndSet(last, now)) {
      refused.addAndGet(-count);
      LOG.warn("cluster port: refused {} connection{} without this cluster's key (the last: {})", count,
          count == 1 ? "" : "s", reason);
    }
  }

  /** The engine Pekko's TLS stage drives, reporting a failed handshake on the accepting side. */
  private final class Logged extends SSLEngine {
    private final SSLEngine engine;

    Logged(SSLEngine engine) {
      this.engine = engine;
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
      try {
        return engine.wrap(srcs, offset, length, dst);
      } catch (SSLException e) {
        refusal(e.getMessage());
        throw e;
      }
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
      try {
        return engine.unwrap(src, dsts, offset, length);
      } catch (SSLException e) {
        refusal(e.getMessage());
        throw e;
      }
    }

    @Override
    public Runnable getDelegatedTask() {
      return engine.getDelegatedTask();
    }

    @Override
    public void closeInbound() throws SSLException {
      engine.closeInbound();
    }

    @Override
    public boolean isInboundDone() {
      return engine.isInboundDone();
    }

    @Override
    public void closeOutbound() {
      engine.closeOutbound();
    }

    @Override
    public boolean isOutboundDone() {
      return engine.isOutboundDone();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return engine.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
      return engine.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
      engine.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
      return engine.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
      return engine.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
      engine.setEnabledProtocols(protocols);
    }

    @Override
    public SSLSession getSession() {
      return engine.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
      return engine.getHandshakeSession();
    }

    @Override
    public void beginHandshake() throws SSLException {
      engine.beginHandshake();
    }

    @Override
    public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
      return engine.getHandshakeStatus();
    }

    @Override
    public void setUseClientMode(boolean mode) {
      engine.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
      return engine.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
      engine.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
      return engine.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
      engine.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
      return engine.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
      engine.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
      return engine.getEnableSessionCreation();
    }

    @Override
    public javax.net.ssl.SSLParameters getSSLParameters() {
      return engine.getSSLParameters();
    }

    @Override
    public void setSSLParameters(javax.net.ssl.SSLParameters params) {
      engine.setSSLParameters(params);
    }

    @Override
    public String getApplicationProtocol() {
      return engine.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
      return engine.getHandshakeApplicationProtocol();
    }
  }
}
