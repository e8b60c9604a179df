/**
 * {@code java -jar portal.jar bench}: the load generator, in the spirit of redis-benchmark and etcd's benchmark.
 * Built on the project's own client; uses protocol, codec and client only.
 */
package io.portal.bench;
