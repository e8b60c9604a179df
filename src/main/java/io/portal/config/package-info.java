/**
 * Reading settings: typed, range-checked values from a Typesafe {@code Config}, each failure a
 * {@code ConfigException} that names the setting and the bad value. Imports nothing of Portal, so every layer's
 * settings record can use it.
 */
package io.portal.config;
