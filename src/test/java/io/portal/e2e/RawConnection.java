package io.portal.e2e;

import com.google.protobuf.MessageLite;
import io.portal.codec.FrameEncoder;
import io.portal.codec.Messages;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;

/** A plain socket speaking frames by hand: for partial writes, malformed input and clients that misbehave. */
final class RawConnection implements AutoCloseable {
  final Socket socket;
  final OutputStream out;
  final DataInputStream in;

  RawConnection(int port) throws IOException {
    this(port, -1);
  }

  /** With {@code receiveBuffer} > 0 the socket's receive buffer is shrunk before connecting. */
  RawConnection(int port, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(10_000);
    out = socket.getOutputStream();
    in = new DataInputStream(socket.getInputStream());
  }

  void send(MessageLite message) throws IOException {
    out.write(Messages.frameOf(message));
    out.flush();
  }

  void sendRaw(int type, byte[] payload) throws IOException {
    out.write(FrameEncoder.header(type, payload.length));
    out.write(payload);
    out.flush();
  }

  void sendHeader(int type, int length) throws IOException {
    out.write(FrameEncoder.header(type, length));
    out.flush();
  }

  /** Reads one response frame and parses it by its type. */
  MessageLite read() throws IOException {
    int type = in.readInt();
    int length = in.readInt();
    byte[] payload = new byte[length];
    in.readFully(payload);
    return Messages.parseResponse(type, ByteBuffer.wrap(payload));
  }

  /** True when the server has closed the connection (EOF or reset) within the socket timeout. */
  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (EOFException | SocketException e) {
      return true;
    }
  }

  /**
   * True when, after whatever the server had sent is read and dropped, the connection ends (EOF or reset) within the
   * socket timeout; false if it stays open.
   */
  boolean drainsToClose() throws IOException {
    byte[] sink = new byte[64 * 1024];
    try {
      while (in.read(sink) != -1) {
        // discard
      }
      return true;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
