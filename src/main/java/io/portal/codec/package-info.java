/**
 * Bytes to frames and frames to protobuf messages. {@link io.portal.codec.FrameDecoder} is the Pekko Streams stage
 * that cuts an inbound byte stream into {@link io.portal.codec.Frame}s and enforces the frame limits before any
 * payload is buffered, reading only as its {@link io.portal.codec.InboundBudget} allows;
 * {@link io.portal.codec.FrameEncoder} writes frames; {@link io.portal.codec.Messages} maps frame types to protobuf
 * parsers. Imports no actors: the connection layer and the client both build on it.
 */
package io.portal.codec;
