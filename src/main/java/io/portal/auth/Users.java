package io.portal.auth;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.portal.auth.proto.Grant;
import io.portal.auth.proto.RoleRecord;
import io.portal.auth.proto.UserRecord;
import io.portal.store.KvStore;
import io.portal.store.VersionMismatchException;
import io.portal.store.Versioned;
import io.portal.store.Write;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Users and roles, kept under the reserved keys {@code \0portal/user/NAME} and {@code \0portal/role/NAME} of the store
 * (as durable as data, and shared by the nodes of a cluster), and the administrator {@code root}, whose password comes
 * from the server's settings. Hashing runs on a thread of its own, never on the actors' threads. A failed attempt is
 * logged (user and address, never the password) and answered late: the delay doubles with each failure from the same
 * address within a minute, up to a maximum, which slows a brute-force attack to a crawl.
 */
public final class Users {
  /** Keys starting with this are Portal's own; clients may not read or write them. */
  public static final ByteString RESERVED = ByteString.copyFromUtf8("\u0000portal/");
  private static final Logger LOG = LoggerFactory.getLogger(Users.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");
  private static final String REFUSED = "unknown user or wrong password";
  private static final long WINDOW_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final int MAX_TRACKED = 10_000;

  private final KvStore store;
  private final AuthSettings settings;
  private final ScheduledExecutorService hashing;
  private final Map<String, Failures> failures = new ConcurrentHashMap<>();
  /** Checked against for an unknown user, so that it takes as long as a known one. */
  private final UserRecord decoy;

  private record Failures(int count, long lastNanos) {
  }

  public Users(KvStore store, AuthSettings settings) {
    this.store = store;
    this.settings = settings;
    this.hashing = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "portal-auth");
      thread.setDaemon(true);
      return thread;
    });
    this.decoy = Passwords.record("decoy", settings.iterations(), List.of());
  }

  /** True for a key under {@link #RESERVED}. */
  public static boolean reserved(ByteString key) {
    return key.startsWith(RESERVED);
  }

  /**
   * What {@code user} may do, once {@code password} is checked; fails with {@link AuthFailedException} (late, after
   * a failure) otherwise.
   *
   * @param from the client's address, for the log and for counting failures
   */
  public CompletionStage<Permissions> authenticate(String user, String password, String from) {
    CompletionStage<Optional<UserRecord>> record = AuthSettings.ROOT.equals(user)
        ? CompletableFuture.completedFuture(Optional.of(settings.root()))
        : NAME.matcher(user).matches() ? store.get(userKey(user)).thenApply(found -> found.map(Users::parseUser))
        : CompletableFuture.completedFuture(Optional.empty());
    return record.thenApplyAsync(found -> {
      // an unknown user is checked against a decoy: as slow as a wrong password for a real one
      boolean matches = Passwords.matches(password, found.orElse(decoy)) && found.isPresent();
      return new Check(found, matches);
    }, hashing).thenCompose(check -> {
      if (!check.matches()) {
        return refuse(user, from, check.found().isPresent());
      }
      failures.remove(host(from));
      return AuthSettings.ROOT.equals(user) ? CompletableFuture.completedFuture(Permissions.root(user))
          : grantsOf(check.found().get().getRolesList()).thenApply(grants -> new Permissions(user, grants, false));
    });
  }

  private record Check(Optional<UserRecord> found, boolean matches) {
  }

  private CompletionStage<Permissions> refuse(String user, String from, boolean known) {
    long now = System.nanoTime();
    if (failures.size() > MAX_TRACKED) {
      failures.clear();
    }
    Failures count = failures.merge(host(from), new Failures(1, now), (old, one) ->
        now - old.lastNanos() > WINDOW_NANOS ? one : new Failures(old.count() + 1, now));
    long delay = Math.min(settings.maxFailureDelay().toMillis(),
        settings.failureDelay().toMillis() << Math.min(20, count.count() - 1));
    LOG.warn("authentication failed for user '{}' from {}: {} ({} failures from there in the last minute; answered "
        + "after {} ms)", printable(user), from, known ? "wrong password" : "no such user", count.count(), delay);
    CompletableFuture<Permissions> refused = new CompletableFuture<>();
    hashing.schedule(() -> refused.completeExceptionally(new AuthFailedException(REFUSED)), delay,
        TimeUnit.MILLISECONDS);
    return refused;
  }

  /** The address without its port: failures count per client machine, not per connection. */
  private static String host(String from) {
    int colon = from.lastIndexOf(':');
    return colon > 0 ? from.substring(0, colon) : from;
  }

  private CompletionStage<List<Grant>> grantsOf(List<String> roles) {
    CompletableFuture<List<Grant>> all = CompletableFuture.completedFuture(new ArrayList<>());
    for (String role : roles) {
      all = all.thenCombine(store.get(roleKey(role)).toCompletableFuture(), (grants, found) -> {
        found.ifPresent(v -> grants.addAll(parseRole(v).getGrantsList()));
        return grants;
      });
    }
    return all;
  }

  /** Creates or replaces {@code user}; true when it existed. */
  public CompletionStage<Boolean> addUser(String user, String password, List<String> roles) {
    requireName("user", user);
    if (AuthSettings.ROOT.equals(user)) {
      throw new IllegalArgumentException("root is the administrator, set by portal.auth.root-password-file");
    }
    if (password.length() < 8) {
      throw new IllegalArgumentException("the password has " + password.length() + " characters; at least 8 "
          + "are needed");
    }
    roles.forEach(role -> requireName("role", role));
    return CompletableFuture.supplyAsync(() -> Passwords.record(password, settings.iterations(), roles), hashing)
        .thenCompose(record -> store.set(new Write.Set(userKey(user), record.toByteString(), 0, OptionalLong.empty(),
            null)))
        .thenApply(version -> version > 1);
  }

  /** Deletes {@code user}; true when it existed. */
  public CompletionStage<Boolean> deleteUser(String user) {
    requireName("user", user);
    return store.delete(new Write.Delete(userKey(user), OptionalLong.empty(), null));
  }

  /** Adds {@code grant} to {@code role}, creating it; true when the role existed. */
  public CompletionStage<Boolean> grant(String role, Grant grant) {
    requireName("role", role);
    return grant(role, grant, 5);
  }

  private CompletionStage<Boolean> grant(String role, Grant grant, int attempts) {
    ByteString key = roleKey(role);
    return store.get(key).thenCompose(found -> {
      RoleRecord old = found.map(Users::parseRole).orElse(RoleRecord.getDefaultInstance());
      RoleRecord updated = old.getGrantsList().contains(grant) ? old : old.toBuilder().addGrants(grant).build();
      OptionalLong expected = found.isPresent() ? OptionalLong.of(found.get().version()) : OptionalLong.of(0);
      return store.set(new Write.Set(key, updated.toByteString(), 0, expected, null))
          .thenApply(version -> found.isPresent())
          .exceptionallyCompose(failure -> attempts > 1 && cause(failure) instanceof VersionMismatchException
              ? grant(role, grant, attempts - 1) : CompletableFuture.failedFuture(failure));
    });
  }

  private static Throwable cause(Throwable failure) {
    return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
  }

  private static void requireName(String what, String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a " + what + " name is 1 to 64 of A-Z a-z 0-9 _ . @ -, not '"
          + printable(name) + "'");
    }
  }

  private static String printable(String name) {
    String cut = name.length() > 64 ? name.substring(0, 64) + "..." : name;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }

  private static ByteString userKey(String user) {
    return RESERVED.concat(ByteString.copyFromUtf8("user/" + user));
  }

  private static ByteString roleKey(String role) {
    return RESERVED.concat(ByteString.copyFromUtf8("role/" + role));
  }

  private static UserRecord parseUser(Versioned stored) {
    try {
      return UserRecord.parseFrom(stored.value());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored user record does not parse: " + e.getMessage(), e);
    }
  }

  private static RoleRecord parseRole(Versioned stored) {
    try {
      return RoleRecord.parseFrom(stored.value());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored role record does not parse: " + e.getMessage(), e);
    }
  }
}
