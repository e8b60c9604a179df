package io.portal.connection;

/** The acknowledgement a connection actor sends to its inbound stream to ask for the next frame. */
public enum StreamAck {
  ACK
}
