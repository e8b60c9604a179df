/**
 * The Java client. {@link io.portal.client.PortalClient} speaks the frame protocol over one TCP connection with
 * blocking I/O and a reader thread, pipelining any number of requests. Uses protocol and codec only; never imports
 * server packages.
 */
package io.portal.client;
