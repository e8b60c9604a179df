package io.portal.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads PEM certificates and keys and builds TLS contexts from them; every failure names the file. */
public final class TlsFiles {
  private static final char[] IN_MEMORY = "portal".toCharArray();

  private TlsFiles() {
  }

  /** Every certificate in the PEM file {@code path} (a chain: the node's first). */
  public static List<X509Certificate> certificates(Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      Collection<? extends Certificate> read = CertificateFactory.getInstance("X.509").generateCertificates(in);
      List<X509Certificate> certificates = new ArrayList<>();
      read.forEach(certificate -> certificates.add((X509Certificate) certificate));
      if (certificates.isEmpty()) {
        throw new IOException(path + " holds no PEM certificate");
      }
      return certificates;
    } catch (GeneralSecurityException e) {
      throw new IOException(path + " is not a PEM certificate file: " + e.getMessage(), e);
    }
  }

  /** The unencrypted private key in the PEM file {@code path}: PKCS#8, PKCS#1 (RSA) or SEC1 (EC). */
  public static PrivateKey privateKey(Path path) throws IOException {
    try (Reader reader = Files.newBufferedReader(path); PEMParser parser = new PEMParser(reader)) {
      Object read = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (read instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (read instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new IOException(path + " holds no unencrypted PEM private key" + (read == null ? ""
          : " (found " + read.getClass().getSimpleName() + "; an encrypted key needs decrypting first: "
          + "openssl pkey -in KEY -out KEY.plain)"));
    }
  }

  /**
   * A TLS context presenting {@code certFile}'s chain with {@code keyFile} (both null: no certificate of its own) and
   * trusting the certificates in {@code trustFile} (null: the JDK's trusted authorities).
   */
  public static SSLContext context(Path certFile, Path keyFile, Path trustFile) throws IOException {
    try {
      KeyManager[] keys = null;
      if (certFile != null) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("key", privateKey(keyFile), IN_MEMORY,
            certificates(certFile).toArray(new Certificate[0]));
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, IN_MEMORY);
        keys = factory.getKeyManagers();
      }
      TrustManager[] trust = null;
      if (trustFile != null) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int i = 0;
        for (X509Certificate certificate : certificates(trustFile)) {
          store.setCertificateEntry("ca-" + i++, certificate);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        trust = factory.getTrustManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, trust, new SecureRandom());
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS with " + certFile + ", " + keyFile + ", " + trustFile + ": "
          + e.getMessage(), e);
    }
  }
}
