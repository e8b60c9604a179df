package io.portal.connection;

import org.apache.pekko.util.ByteString;

/** What a connection actor sends to its outbound stream (the bytes going to the client's socket). */
public sealed interface Outbound {

  /** Bytes to write; the stream acks with {@link ConnectionActor.OutboundAck} when it has taken them. */
  record Bytes(ByteString bytes) implements Outbound {
  }

  /** Write what was sent so far, then close the connection. */
  record Finish() implements Outbound {
  }

  /** Close at once, dropping unwritten bytes (the socket is reset). */
  record Abort(String reason) implements Outbound {
  }
}
