/**
 * TCP: bind, accept, hand each accepted socket a byte flow, unbind. Moves {@code ByteString}s and knows nothing of
 * frames, messages or actors (like Redis's ae.c or muduo's TcpServer).
 */
package io.portal.transport;
