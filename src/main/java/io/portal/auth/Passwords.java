package io.portal.auth;

import com.google.protobuf.ByteString;
import io.portal.auth.proto.UserRecord;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/** Password hashes: PBKDF2 with HMAC-SHA256, a random 16-byte salt per user, 32-byte hashes. */
public final class Passwords {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Passwords() {
  }

  /** A user record for {@code password} with {@code roles}, hashed with {@code iterations} rounds. */
  public static UserRecord record(String password, int iterations, List<String> roles) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return UserRecord.newBuilder().setSalt(ByteString.copyFrom(salt))
        .setHash(ByteString.copyFrom(hash(password, salt, iterations))).setIterations(iterations)
        .addAllRoles(roles).build();
  }

  /** True when {@code password} is the one {@code record} was made from (compared in constant time). */
  public static boolean matches(String password, UserRecord record) {
    byte[] hash = hash(password, record.getSalt().toByteArray(), record.getIterations());
    return MessageDigest.isEqual(hash, record.getHash().toByteArray());
  }

  private static byte[] hash(String password, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JVM", e);
    } finally {
      spec.clearPassword();
    }
  }
}
