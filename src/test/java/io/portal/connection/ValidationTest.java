package io.portal.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.SetRequest;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ValidationTest {
  private static final int MAX_KEY = 8;

  static Stream<Arguments> sets() {
    ByteString k = ByteString.copyFromUtf8("k");
    return Stream.of(
        Arguments.of(SetRequest.newBuilder().setKey(k).build(), null),
        Arguments.of(SetRequest.newBuilder().setKey(ByteString.copyFrom(new byte[8])).build(), null),
        Arguments.of(SetRequest.newBuilder().build(), "key is empty"),
        Arguments.of(SetRequest.newBuilder().setKey(ByteString.copyFrom(new byte[9])).build(),
            "key length 9 exceeds maximum 8"),
        Arguments.of(SetRequest.newBuilder().setKey(k).setTtlMillis(1).setExpectedVersion(0).build(), null),
        Arguments.of(SetRequest.newBuilder().setKey(k).setTtlMillis(-1).build(), "ttl_millis -1 is negative"),
        Arguments.of(SetRequest.newBuilder().setKey(k).setTtlMillis(Validation.MAX_TTL_MILLIS).build(), null),
        Arguments.of(SetRequest.newBuilder().setKey(k).setTtlMillis(Validation.MAX_TTL_MILLIS + 1).build(),
            "ttl_millis 3153600000001 exceeds maximum 3153600000000"),
        Arguments.of(SetRequest.newBuilder().setKey(k).setExpectedVersion(-2).build(),
            "expected_version -2 is negative"));
  }

  @ParameterizedTest
  @MethodSource("sets")
  void set(SetRequest request, String expected) {
    assertEquals(Optional.ofNullable(expected), Validation.checkSet(request, MAX_KEY));
  }

  static Stream<Arguments> deletes() {
    ByteString k = ByteString.copyFromUtf8("k");
    return Stream.of(
        Arguments.of(DeleteRequest.newBuilder().setKey(k).build(), null),
        Arguments.of(DeleteRequest.newBuilder().build(), "key is empty"),
        Arguments.of(DeleteRequest.newBuilder().setKey(k).setExpectedVersion(2).build(), null),
        Arguments.of(DeleteRequest.newBuilder().setKey(k).setExpectedVersion(-1).build(),
            "expected_version -1 is negative"));
  }

  @ParameterizedTest
  @MethodSource("deletes")
  void delete(DeleteRequest request, String expected) {
    assertEquals(Optional.ofNullable(expected), Validation.checkDelete(request, MAX_KEY));
  }

  @org.junit.jupiter.api.Test
  void helloClientIdIsBounded() {
    assertEquals(Optional.empty(), Validation.checkHello(
        io.portal.protocol.v1.HelloRequest.newBuilder().setClientId("x".repeat(256)).build()));
    assertEquals(Optional.of("client_id length 257 exceeds maximum 256"), Validation.checkHello(
        io.portal.protocol.v1.HelloRequest.newBuilder().setClientId("x".repeat(257)).build()));
  }
}
