package io.portal.codec;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.DeleteResponse;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.MessageType;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.nio.ByteBuffer;

/**
 * Frame type numbers to protobuf messages and back. The numbers are {@link MessageType}'s; a response's type is its
 * request's type + 1, and {@code ERROR_RESPONSE} answers any request. Stateless; any thread may call it.
 */
public final class Messages {
  private Messages() {
  }

  /** True for the request types a server reads (PING, SET, GET, DELETE, HELLO). */
  public static boolean isRequestType(int type) {
    return parserOf(type, true) != null;
  }

  /** True for the response types a client reads, ERROR_RESPONSE included. */
  public static boolean isResponseType(int type) {
    return parserOf(type, false) != null;
  }

  /**
   * Parses a request payload.
   *
   * @throws InvalidProtocolBufferException when the payload is not a valid message of that type
   * @throws IllegalArgumentException       when {@code type} is not a request type
   */
  public static MessageLite parseRequest(int type, ByteBuffer payload) throws InvalidProtocolBufferException {
    return parse(type, payload, true);
  }

  /** Parses a response payload; the same failures as {@link #parseRequest}. */
  public static MessageLite parseResponse(int type, ByteBuffer payload) throws InvalidProtocolBufferException {
    return parse(type, payload, false);
  }

  /** The frame type of a Portal message, request or response. */
  public static int typeOf(MessageLite message) {
    MessageType type;
    if (message instanceof PingRequest) {
      type = MessageType.PING_REQUEST;
    } else if (message instanceof PingResponse) {
      type = MessageType.PING_RESPONSE;
    } else if (message instanceof SetRequest) {
      type = MessageType.SET_REQUEST;
    } else if (message instanceof SetResponse) {
      type = MessageType.SET_RESPONSE;
    } else if (message instanceof GetRequest) {
      type = MessageType.GET_REQUEST;
    } else if (message instanceof GetResponse) {
      type = MessageType.GET_RESPONSE;
    } else if (message instanceof DeleteRequest) {
      type = MessageType.DELETE_REQUEST;
    } else if (message instanceof DeleteResponse) {
      type = MessageType.DELETE_RESPONSE;
    } else if (message instanceof HelloRequest) {
      type = MessageType.HELLO_REQUEST;
    } else if (message instanceof HelloResponse) {
      type = MessageType.HELLO_RESPONSE;
    } else if (message instanceof ErrorResponse) {
      type = MessageType.ERROR_RESPONSE;
    } else {
      throw new IllegalArgumentException("not a Portal message: " + message.getClass().getName());
    }
    return type.getNumber();
  }

  /** Encodes a Portal message as a whole frame, its type taken from {@link #typeOf}. */
  public static byte[] frameOf(MessageLite message) {
    return FrameEncoder.encodeToArray(typeOf(message), message);
  }

  private static MessageLite parse(int type, ByteBuffer payload, boolean request)
      throws InvalidProtocolBufferException {
    Parser<? extends MessageLite> parser = parserOf(type, request);
    if (parser == null) {
      throw new IllegalArgumentException(
          "message type " + type + " is not a " + (request ? "request" : "response") + " type");
    }
    return parser.parseFrom(payload);
  }

  private static Parser<? extends MessageLite> parserOf(int type, boolean request) {
    MessageType messageType = MessageType.forNumber(type);
    if (messageType == null) {
      return null;
    }
    return switch (messageType) {
      case PING_REQUEST -> request ? PingRequest.parser() : null;
      case SET_REQUEST -> request ? SetRequest.parser() : null;
      case GET_REQUEST -> request ? GetRequest.parser() : null;
      case DELETE_REQUEST -> request ? DeleteRequest.parser() : null;
      case HELLO_REQUEST -> request ? HelloRequest.parser() : null;
      case PING_RESPONSE -> request ? null : PingResponse.parser();
      case SET_RESPONSE -> request ? null : SetResponse.parser();
      case GET_RESPONSE -> request ? null : GetResponse.parser();
      case DELETE_RESPONSE -> request ? null : DeleteResponse.parser();
      case HELLO_RESPONSE -> request ? null : HelloResponse.parser();
      case ERROR_RESPONSE -> request ? null : ErrorResponse.parser();
      case MESSAGE_TYPE_UNSPECIFIED, UNRECOGNIZED -> null;
    };
  }
}
