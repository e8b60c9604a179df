/**
 * Users, roles and what a connection may do: password checks (salted, slow hashes), permissions by key prefix,
 * failed attempts slowed down. Users and roles are stored under reserved keys of the store, like data.
 */
package io.portal.auth;
