package io.portal.codec;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.portal.protocol.v1.AuthRequest;
import io.portal.protocol.v1.AuthResponse;
import io.portal.protocol.v1.BackupRequest;
import io.portal.protocol.v1.BackupResponse;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.DeleteResponse;
import io.portal.protocol.v1.BatchRequest;
import io.portal.protocol.v1.BatchResponse;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.ExpireRequest;
import io.portal.protocol.v1.ExpireResponse;
import io.portal.protocol.v1.TxnRequest;
import io.portal.protocol.v1.TxnResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.MessageType;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.ScanRequest;
import io.portal.protocol.v1.ScanResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import io.portal.protocol.v1.StatusRequest;
import io.portal.protocol.v1.StatusResponse;
import io.portal.protocol.v1.UserAdminRequest;
import io.portal.protocol.v1.UserAdminResponse;
import io.portal.protocol.v1.WatchCancelRequest;
import io.portal.protocol.v1.WatchCancelResponse;
import io.portal.protocol.v1.WatchCanceled;
import io.portal.protocol.v1.WatchEvent;
import io.portal.protocol.v1.WatchRequest;
import io.portal.protocol.v1.WatchResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Frame type numbers to protobuf messages and back. The numbers are {@link MessageType}'s; a response's type is its
 * request's type + 1, and {@code ERROR_RESPONSE} answers any request. Stateless; any thread may call it.
 */
public final class Messages {
  /** One row per message: its type number, its class, its parser, and whether a server reads it. */
  private record Kind(MessageType type, Class<? extends MessageLite> messageClass,
      Parser<? extends MessageLite> parser, boolean request) {
  }

  private static final List<Kind> KINDS = List.of(
      new Kind(MessageType.PING_REQUEST, PingRequest.class, PingRequest.parser(), true),
      new Kind(MessageType.PING_RESPONSE, PingResponse.class, PingResponse.parser(), false),
      new Kind(MessageType.SET_REQUEST, SetRequest.class, SetRequest.parser(), true),
      new Kind(MessageType.SET_RESPONSE, SetResponse.class, SetResponse.parser(), false),
      new Kind(MessageType.GET_REQUEST, GetRequest.class, GetRequest.parser(), true),
      new Kind(MessageType.GET_RESPONSE, GetResponse.class, GetResponse.parser(), false),
      new Kind(MessageType.DELETE_REQUEST, DeleteRequest.class, DeleteRequest.parser(), true),
      new Kind(MessageType.DELETE_RESPONSE, DeleteResponse.class, DeleteResponse.parser(), false),
      new Kind(MessageType.HELLO_REQUEST, HelloRequest.class, HelloRequest.parser(), true),
      new Kind(MessageType.HELLO_RESPONSE, HelloResponse.class, HelloResponse.parser(), false),
      new Kind(MessageType.AUTH_REQUEST, AuthRequest.class, AuthRequest.parser(), true),
      new Kind(MessageType.AUTH_RESPONSE, AuthResponse.class, AuthResponse.parser(), false),
      new Kind(MessageType.USER_ADMIN_REQUEST, UserAdminRequest.class, UserAdminRequest.parser(), true),
      new Kind(MessageType.USER_ADMIN_RESPONSE, UserAdminResponse.class, UserAdminResponse.parser(), false),
      new Kind(MessageType.STATUS_REQUEST, StatusRequest.class, StatusRequest.parser(), true),
      new Kind(MessageType.STATUS_RESPONSE, StatusResponse.class, StatusResponse.parser(), false),
      new Kind(MessageType.BACKUP_REQUEST, BackupRequest.class, BackupRequest.parser(), true),
      new Kind(MessageType.BACKUP_RESPONSE, BackupResponse.class, BackupResponse.parser(), false),
      new Kind(MessageType.SCAN_REQUEST, ScanRequest.class, ScanRequest.parser(), true),
      new Kind(MessageType.SCAN_RESPONSE, ScanResponse.class, ScanResponse.parser(), false),
      new Kind(MessageType.EXPIRE_REQUEST, ExpireRequest.class, ExpireRequest.parser(), true),
      new Kind(MessageType.EXPIRE_RESPONSE, ExpireResponse.class, ExpireResponse.parser(), false),
      new Kind(MessageType.BATCH_REQUEST, BatchRequest.class, BatchRequest.parser(), true),
      new Kind(MessageType.BATCH_RESPONSE, BatchResponse.class, BatchResponse.parser(), false),
      new Kind(MessageType.TXN_REQUEST, TxnRequest.class, TxnRequest.parser(), true),
      new Kind(MessageType.TXN_RESPONSE, TxnResponse.class, TxnResponse.parser(), false),
      new Kind(MessageType.WATCH_REQUEST, WatchRequest.class, WatchRequest.parser(), true),
      new Kind(MessageType.WATCH_RESPONSE, WatchResponse.class, WatchResponse.parser(), false),
      new Kind(MessageType.WATCH_CANCEL_REQUEST, WatchCancelRequest.class, WatchCancelRequest.parser(), true),
      new Kind(MessageType.WATCH_CANCEL_RESPONSE, WatchCancelResponse.class, WatchCancelResponse.parser(), false),
      new Kind(MessageType.WATCH_EVENT, WatchEvent.class, WatchEvent.parser(), false),
      new Kind(MessageType.WATCH_CANCELED, WatchCanceled.class, WatchCanceled.parser(), false),
      new Kind(MessageType.ERROR_RESPONSE, ErrorResponse.class, ErrorResponse.parser(), false));

  private static final Map<Integer, Kind> BY_TYPE =
      KINDS.stream().collect(Collectors.toUnmodifiableMap(k -> k.type().getNumber(), k -> k));
  private static final Map<Class<?>, Kind> BY_CLASS =
      KINDS.stream().collect(Collectors.toUnmodifiableMap(Kind::messageClass, k -> k));

  private Messages() {
  }

  /** True for the request types a server reads (PING, SET, GET, DELETE, HELLO). */
  public static boolean isRequestType(int type) {
    Kind kind = BY_TYPE.get(type);
    return kind != null && kind.request();
  }

  /** True for the response types a client reads, ERROR_RESPONSE included. */
  public static boolean isResponseType(int type) {
    Kind kind = BY_TYPE.get(type);
    return kind != null && !kind.request();
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
    Kind kind = BY_CLASS.get(message.getClass());
    if (kind == null) {
      throw new IllegalArgumentException("not a Portal message: " + message.getClass().getName());
    }
    return kind.type().getNumber();
  }

  /** Encodes a Portal message as a whole frame, its type taken from {@link #typeOf}. */
  public static byte[] frameOf(MessageLite message) {
    return FrameEncoder.encodeToArray(typeOf(message), message);
  }

  private static MessageLite parse(int type, ByteBuffer payload, boolean request)
      throws InvalidProtocolBufferException {
    Kind kind = BY_TYPE.get(type);
    if (kind == null || kind.request() != request) {
      throw new IllegalArgumentException(
          "message type " + type + " is not a " + (request ? "request" : "response") + " type");
    }
    return kind.parser().parseFrom(payload);
  }
}
