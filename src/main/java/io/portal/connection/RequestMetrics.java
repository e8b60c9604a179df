package io.portal.connection;

import com.google.protobuf.MessageLite;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.MessageType;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code portal_requests_seconds}: every request answered, by type and outcome ({@code ok} or the error code), with
 * a latency histogram (from the request's arrival at the handler to its response). Recorded in Micrometer's global
 * registry, which the server exposes.
 */
final class RequestMetrics {
  private static final ConcurrentHashMap<Long, Timer> TIMERS = new ConcurrentHashMap<>();

  private RequestMetrics() {
  }

  static void record(int type, MessageLite response, long nanos) {
    int code = response instanceof ErrorResponse error ? error.getCodeValue() : -1;
    long key = ((long) type << 32) | (code & 0xffffffffL);
    TIMERS.computeIfAbsent(key, k -> Timer.builder("portal.requests")
        .description("requests answered, by type and outcome, with their latency")
        .tag("type", typeName(type))
        .tag("code", response instanceof ErrorResponse error ? error.getCode().name() : "OK")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(50_000))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(Metrics.globalRegistry)).record(nanos, TimeUnit.NANOSECONDS);
  }

  private static String typeName(int type) {
    MessageType known = MessageType.forNumber(type);
    String name = known == null ? "type_" + type : known.name();
    return name.replace("_REQUEST", "").toLowerCase(Locale.ROOT);
  }
}
