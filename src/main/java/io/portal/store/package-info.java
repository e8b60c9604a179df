/**
 * The data: {@link io.portal.store.KvStore} is the asynchronous interface the connection layer calls, and the
 * implementations behind it own the keys. Keys are split into partitions by {@link io.portal.store.Partitioner};
 * each partition is one actor, so all operations on one key are serialized by its partition. This package never
 * sees wire classes: keys and values are protobuf {@code ByteString}s (immutable, compared by content) and results
 * are Portal's own records.
 */
package io.portal.store;
