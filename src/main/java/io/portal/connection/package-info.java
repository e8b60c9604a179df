/**
 * One actor per client connection, and what it needs around it. {@link io.portal.connection.ConnectionActor} holds
 * the request context (requests in flight, their order, bytes held for the client) and enforces the per-connection
 * limits, driving plain classes that keep the bookkeeping: {@link io.portal.connection.ResponseSequencer} (request
 * order), {@link io.portal.connection.OutboundBuffer} (what goes to the socket) and a
 * {@link io.portal.connection.ClientMemory.Account} (every byte held for the client, shared with its frame decoder);
 * {@link io.portal.connection.RequestHandler} turns a decoded request into a store call and a response;
 * {@link io.portal.connection.ConnectionManager} owns the set of live connections, the connection limit, the
 * server-wide {@link io.portal.connection.ClientMemory} budget (closing the largest consumers over it) and the
 * graceful drain on shutdown. Knows frames and messages (codec, protocol) and the {@code KvStore} interface; knows
 * nothing of sockets (transport) or of how the store is built.
 */
package io.portal.connection;
