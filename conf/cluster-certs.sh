#!/usr/bin/env bash
# Makes the TLS files of a Portal cluster with openssl: a CA (ca.key, ca.crt) and, for each node named, a key and a
# certificate the CA signed (NAME.key, NAME.crt). Every node certificate carries the common subject name
# portal-cluster, which is how nodes recognise each other (besides the CA's signature), and the node's name.
#
#   conf/cluster-certs.sh DIR NAME...        e.g.  conf/cluster-certs.sh /etc/portal/tls node1 node2 node3
#
# An existing DIR/ca.key is reused, so that adding or renewing a node keeps the cluster's CA. Keep ca.key off the
# nodes; each node needs ca.crt, its NAME.key and NAME.crt (portal.cluster.tls.*, docs/security.md).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DIR NAME..." >&2; exit 2; }
DIR=$1; shift
mkdir -p "$DIR"
umask 077
if [ ! -f "$DIR/ca.key" ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -keyout "$DIR/ca.key" -out "$DIR/ca.crt" -days 3650 \
    -subj "/CN=portal-cluster-ca" 2> /dev/null
fi
for NAME in "$@"; do
  openssl req -newkey rsa:2048 -nodes -keyout "$DIR/$NAME.key" -out "$DIR/$NAME.csr" -subj "/CN=portal-cluster" \
    2> /dev/null
  printf 'subjectAltName = DNS:portal-cluster, DNS:%s\n' "$NAME" > "$DIR/$NAME.ext"
  openssl x509 -req -in "$DIR/$NAME.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 825 \
    -extfile "$DIR/$NAME.ext" -out "$DIR/$NAME.crt" 2> /dev/null
  rm -f "$DIR/$NAME.csr" "$DIR/$NAME.ext"
  echo "$DIR/$NAME.key, $DIR/$NAME.crt (signed by $DIR/ca.crt, valid 825 days)"
done
