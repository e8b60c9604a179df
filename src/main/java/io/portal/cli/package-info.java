/**
 * {@code java -jar portal.jar cli ...}: the command-line client, built on {@link io.portal.client.PortalClient}.
 * Exit status 0 success, 1 key not found, 2 error (with a message on stderr).
 */
package io.portal.cli;
