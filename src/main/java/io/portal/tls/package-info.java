/**
 * TLS set-up from PEM files (the certificates and keys operators have), shared by the server's client port and the
 * Java client: a leaf that knows nothing of Portal's protocol or actors.
 */
package io.portal.tls;
