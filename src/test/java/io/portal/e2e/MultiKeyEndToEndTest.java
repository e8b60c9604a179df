package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.protocol.v1.BatchOp;
import io.portal.protocol.v1.BatchRequest;
import io.portal.protocol.v1.BatchResponse;
import io.portal.protocol.v1.Compare;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ExpireResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.TxnOp;
import io.portal.protocol.v1.TxnRequest;
import io.portal.protocol.v1.TxnResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** EXPIRE and PERSIST, BATCH (MGET, MSET) and TXN through a real server. */
class MultiKeyEndToEndTest {
  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static TxnOp set(String key, String value) {
    return TxnOp.newBuilder().setSet(SetRequest.newBuilder().setKey(utf8(key)).setValue(utf8(value))).build();
  }

  private static TxnOp get(String key) {
    return TxnOp.newBuilder().setGet(GetRequest.newBuilder().setKey(utf8(key))).build();
  }

  private static Compare version(String key, Compare.Op op, long version) {
    return Compare.newBuilder().setKey(utf8(key)).setOp(op).setVersion(version).build();
  }

  @Test
  void expireAndPersistChangeTheTtlAlone() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      assertEquals(2, client.set(utf8("k"), utf8("v2"), 0, OptionalLong.empty()) + 1);
      long before = System.currentTimeMillis();
      ExpireResponse expire = client.expire(utf8("k"), 60_000, OptionalLong.empty());
      assertTrue(expire.getFound());
      assertEquals(1, expire.getVersion(), "the version stays");
      assertTrue(expire.getExpiresAtMillis() >= before + 60_000);
      Entry withTtl = client.get(utf8("k")).orElseThrow();
      assertEquals(utf8("v2"), withTtl.value());
      assertEquals(1, withTtl.version());
      assertTrue(withTtl.ttlMillis() > 50_000 && withTtl.ttlMillis() <= 60_000, withTtl.toString());

      assertTrue(client.expire(utf8("k"), 0, OptionalLong.of(1)).getFound(), "PERSIST");
      assertEquals(0, client.get(utf8("k")).orElseThrow().expiresAtMillis());

      PortalException mismatch = assertThrows(PortalException.class,
          () -> client.expire(utf8("k"), 1000, OptionalLong.of(5)));
      assertEquals(ErrorCode.VERSION_MISMATCH, mismatch.code());
      assertFalse(client.expire(utf8("absent"), 1000, OptionalLong.empty()).getFound());
      PortalException negative = assertThrows(PortalException.class,
          () -> client.expire(utf8("k"), -1, OptionalLong.empty()));
      assertEquals(ErrorCode.INVALID_ARGUMENT, negative.code());

      client.expire(utf8("k"), 1, OptionalLong.empty());
      Thread.sleep(20);
      assertEquals(Optional.empty(), client.get(utf8("k")), "expired");
    }
  }

  @Test
  void aBatchAnswersEveryOpInItsPlace() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory\nportal.protocol.max-batch-ops = 10");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      Map<ByteString, ByteString> entries = new LinkedHashMap<>();
      entries.put(utf8("m1"), utf8("one"));
      entries.put(utf8("m2"), utf8("two"));
      entries.put(utf8("m3"), utf8("three"));
      assertEquals(List.of(1L, 1L, 1L), client.mset(entries));
      assertEquals(List.of(2L), client.mset(Map.of(utf8("m1"), utf8("uno"))));
      List<Optional<Entry>> got = client.mget(List.of(utf8("m1"), utf8("nope"), utf8("m3")));
      assertEquals(Optional.of(new Entry(utf8("uno"), 2)), got.get(0));
      assertEquals(Optional.empty(), got.get(1));
      assertEquals(Optional.of(new Entry(utf8("three"), 1)), got.get(2));

      BatchResponse mixed = client.batch(BatchRequest.newBuilder()
          .addOps(BatchOp.newBuilder().setSet(SetRequest.newBuilder().setKey(utf8("m4")).setValue(utf8("four"))))
          .addOps(BatchOp.newBuilder().setSet(SetRequest.newBuilder().setValue(utf8("no key"))))
          .addOps(BatchOp.newBuilder().setDelete(DeleteRequest.newBuilder().setKey(utf8("m2"))))
          .addOps(BatchOp.newBuilder().setGet(GetRequest.newBuilder().setKey(utf8("m3")))));
      assertEquals(4, mixed.getResultsCount());
      assertEquals(1, mixed.getResults(0).getSet().getVersion());
      assertEquals(ErrorCode.INVALID_ARGUMENT, mixed.getResults(1).getError().getCode());
      assertEquals("key is empty", mixed.getResults(1).getError().getMessage());
      assertTrue(mixed.getResults(2).getDelete().getDeleted());
      assertEquals(utf8("three"), mixed.getResults(3).getGet().getValue());
      assertEquals(Optional.empty(), client.get(utf8("m2")));

      BatchRequest.Builder tooMany = BatchRequest.newBuilder();
      for (int i = 0; i < 11; i++) {
        tooMany.addOps(BatchOp.newBuilder().setGet(GetRequest.newBuilder().setKey(utf8("k" + i))));
      }
      PortalException refused = assertThrows(PortalException.class, () -> client.batch(tooMany));
      assertEquals(ErrorCode.INVALID_ARGUMENT, refused.code());
      assertTrue(refused.getMessage().contains("a batch of 11 ops exceeds the maximum 10"), refused.getMessage());
    }
  }

  @Test
  void aTransactionRunsOneBranchAtomicallyAndDurably() throws Exception {
    Path dir = TestServer.newDataDir();
    try (TestServer server = new TestServer("", dir);
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      client.set("{acct}:a", "100");
      TxnResponse first = client.txn(TxnRequest.newBuilder()
          .addCompares(version("{acct}:a", Compare.Op.EQUAL, 1))
          .addCompares(version("{acct}:b", Compare.Op.EQUAL, 0))
          .addSuccess(set("{acct}:a", "60")).addSuccess(set("{acct}:b", "40")).addSuccess(get("{acct}:a"))
          .addFailure(get("{acct}:a")));
      assertTrue(first.getSucceeded());
      assertEquals(2, first.getResults(0).getSet().getVersion());
      assertEquals(1, first.getResults(1).getSet().getVersion());
      assertEquals(utf8("60"), first.getResults(2).getGet().getValue(), "an op sees the ops before it");

      TxnResponse second = client.txn(TxnRequest.newBuilder()
          .addCompares(Compare.newBuilder().setKey(utf8("{acct}:a")).setOp(Compare.Op.EQUAL).setValue(utf8("100")))
          .addSuccess(set("{acct}:a", "0"))
          .addFailure(get("{acct}:a")).addFailure(get("{acct}:b")));
      assertFalse(second.getSucceeded());
      assertEquals(utf8("60"), second.getResults(0).getGet().getValue());
      assertEquals(2, second.getResults(0).getGet().getVersion());
      assertEquals(utf8("40"), second.getResults(1).getGet().getValue());

      PortalException apart = assertThrows(PortalException.class, () -> client.txn(TxnRequest.newBuilder()
          .addSuccess(set("alpha", "1")).addSuccess(set("omega", "2"))));
      assertEquals(ErrorCode.INVALID_ARGUMENT, apart.code());
      assertTrue(apart.getMessage().contains("give related keys one hash tag"), apart.getMessage());
      assertEquals(Optional.empty(), client.get("alpha"), "nothing of a refused transaction is written");

      PortalException valueLess = assertThrows(PortalException.class, () -> client.txn(TxnRequest.newBuilder()
          .addCompares(Compare.newBuilder().setKey(utf8("{acct}:a")).setOp(Compare.Op.LESS).setValue(utf8("1")))));
      assertEquals(ErrorCode.INVALID_ARGUMENT, valueLess.code());
    }
    try (TestServer again = new TestServer("", dir);
        PortalClient client = PortalClient.connect("127.0.0.1", again.port())) {
      assertEquals(new Entry(utf8("60"), 2), client.get("{acct}:a").orElseThrow());
      assertEquals(new Entry(utf8("40"), 1), client.get("{acct}:b").orElseThrow());
    }
  }

  /**
   * The compare-and-set race over two keys: clients read both versions, then each tries a transaction that moves
   * both only if neither changed. In every round exactly one wins, and the two keys always move together.
   */
  @Test
  void racingTransactionsOverTwoKeysHaveExactlyOneWinner() throws Exception {
    try (TestServer server = new TestServer("")) {
      int racers = 8;
      List<PortalClient> clients = new ArrayList<>();
      for (int i = 0; i < racers; i++) {
        clients.add(PortalClient.connect("127.0.0.1", server.port()));
      }
      try {
        clients.get(0).set("{pair}:x", "0");
        clients.get(0).set("{pair}:y", "0");
        for (int round = 1; round <= 20; round++) {
          Entry x = clients.get(0).get("{pair}:x").orElseThrow();
          Entry y = clients.get(0).get("{pair}:y").orElseThrow();
          assertEquals(x.version(), y.version(), "the two keys moved together");
          CountDownLatch start = new CountDownLatch(1);
          AtomicInteger winners = new AtomicInteger();
          List<Throwable> failures = new CopyOnWriteArrayList<>();
          List<Thread> threads = new ArrayList<>();
          for (int r = 0; r < racers; r++) {
            PortalClient client = clients.get(r);
            String value = "round " + round + " by " + r;
            Thread thread = new Thread(() -> {
              try {
                start.await();
                TxnResponse response = client.txn(TxnRequest.newBuilder()
                    .addCompares(version("{pair}:x", Compare.Op.EQUAL, x.version()))
                    .addCompares(version("{pair}:y", Compare.Op.EQUAL, y.version()))
                    .addSuccess(set("{pair}:x", value)).addSuccess(set("{pair}:y", value)));
                if (response.getSucceeded()) {
                  winners.incrementAndGet();
                }
              } catch (Throwable e) {
                failures.add(e);
              }
            });
            thread.start();
            threads.add(thread);
          }
          start.countDown();
          for (Thread thread : threads) {
            thread.join(30_000);
          }
          assertEquals(List.of(), failures);
          assertEquals(1, winners.get(), "round " + round);
          Entry x2 = clients.get(0).get("{pair}:x").orElseThrow();
          Entry y2 = clients.get(0).get("{pair}:y").orElseThrow();
          assertEquals(x.version() + 1, x2.version());
          assertEquals(x2.value(), y2.value(), "both keys hold the winner's value");
        }
      } finally {
        for (PortalClient client : clients) {
          client.close();
        }
      }
    }
  }
}
