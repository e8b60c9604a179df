package io.portal.auth;

import com.google.protobuf.ByteString;
import io.portal.auth.proto.Grant;
import io.portal.store.KeyOrder;
import java.util.List;

/**
 * What an authenticated connection may do: read (or read and write) keys under some prefixes; the administrator
 * may also manage users and roles.
 */
public record Permissions(String user, List<Grant> grants, boolean admin) {
  /** The administrator: every key, and users and roles. */
  public static Permissions root(String user) {
    return new Permissions(user, List.of(Grant.newBuilder().setWrite(true).build()), true);
  }

  public boolean canRead(ByteString key) {
    return grants.stream().anyMatch(grant -> key.startsWith(grant.getPrefix()));
  }

  /** True when one grant's prefix holds every key from {@code start} to {@code end} (exclusive; empty: no end). */
  public boolean canReadRange(ByteString start, ByteString end) {
    return grants.stream().anyMatch(grant -> {
      if (!start.startsWith(grant.getPrefix())) {
        return false;
      }
      ByteString prefixEnd = KeyOrder.prefixEnd(grant.getPrefix());
      return prefixEnd.isEmpty() || (!end.isEmpty() && KeyOrder.compare(end, prefixEnd) <= 0);
    });
  }

  public boolean canWrite(ByteString key) {
    return grants.stream().anyMatch(grant -> grant.getWrite() && key.startsWith(grant.getPrefix()));
  }
}
