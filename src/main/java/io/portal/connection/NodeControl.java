package io.portal.connection;

import io.portal.protocol.v1.BackupResponse;
import io.portal.protocol.v1.StatusResponse;
import java.util.concurrent.CompletionStage;

/** What the server does for STATUS and BACKUP, which need the cluster, the store and the journal. */
public interface NodeControl {
  /** The node's state now, without the request id. */
  StatusResponse.Builder status();

  /**
   * A consistent copy of this node's journal in {@code dir} (absolute, on the server's machine, not existing yet);
   * fails with {@link IllegalArgumentException} for a bad folder or a journal that cannot be copied this way.
   */
  CompletionStage<BackupResponse.Builder> backup(String dir);
}
