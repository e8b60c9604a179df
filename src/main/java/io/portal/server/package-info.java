/**
 * The server process: reads the configuration, builds the store, the connection manager and the transport, wires
 * them together and shuts them down in order. Nothing imports this package.
 */
package io.portal.server;
