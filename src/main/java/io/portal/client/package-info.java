/**
 * The Java client. {@link io.portal.client.PortalClient} speaks the frame protocol over one non-blocking TCP
 * connection on the JVM's shared client event loops ({@link io.portal.client.NioConnection}), pipelining any number
 * of requests. Uses protocol and codec only; never imports
 * server packages.
 */
package io.portal.client;
