package io.portal.bench;

import com.google.protobuf.ByteString;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;

/**
 * Drives etcd through its JSON gateway ({@code POST /v3/kv/put}, {@code /v3/kv/range}, {@code /v3/kv/deleterange})
 * over HTTP/1.1: the etcd server's own code path for a put is the same as over gRPC (raft, WAL fsync), plus the
 * gateway's JSON translation. Each target is one HTTP client, so one connection per generator connection.
 */
final class EtcdTarget implements Target {
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  EtcdTarget(String host, int port) {
    this.base = "http://" + host + ":" + port + "/v3/kv/";
  }

  @Override
  public CompletableFuture<?> set(ByteString key, ByteString value) {
    return post("put", "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}");
  }

  @Override
  public CompletableFuture<?> get(ByteString key) {
    return post("range", "{\"key\":\"" + b64(key) + "\"}");
  }

  @Override
  public CompletableFuture<?> delete(ByteString key) {
    return post("deleterange", "{\"key\":\"" + b64(key) + "\"}");
  }

  @Override
  public void close() {
    // the JDK client closes its idle connections itself
  }

  private CompletableFuture<?> post(String operation, String json) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + operation))
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(response -> {
      if (response.statusCode() != 200) {
        throw new IllegalStateException("etcd " + operation + ": HTTP " + response.statusCode());
      }
      return response;
    });
  }

  private static String b64(ByteString bytes) {
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }
}
