/**
 * Pekko Cluster and Cluster Sharding: joining the cluster (a node with no seed nodes joins itself, forming a
 * one-node cluster) and running the store's partitions as sharded entities. Nothing else knows the cluster exists:
 * the store sees only a function from partition number to a recipient.
 */
package io.portal.cluster;
