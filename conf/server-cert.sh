#!/usr/bin/env bash
# Makes the client port's TLS files with openssl: a CA (ca.key, ca.crt; reused when DIR already has one) and a server
# key and certificate the CA signed (server.key, server.crt) for the names clients use to reach the server.
#
#   conf/server-cert.sh DIR NAME...        e.g.  conf/server-cert.sh /etc/portal/client-tls DNS:kv.example.com IP:10.0.0.5
#
# Each NAME is DNS:host or IP:address (the client checks that the certificate names the host it connects to). Give the
# server server.key and server.crt (portal.server.tls.key-file, cert-file), and clients ca.crt (cli --cacert).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DIR DNS:host|IP:address..." >&2; exit 2; }
DIR=$1; shift
mkdir -p "$DIR"
umask 077
if [ ! -f "$DIR/ca.key" ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -keyout "$DIR/ca.key" -out "$DIR/ca.crt" -days 3650 \
    -subj "/CN=portal-client-ca" 2> /dev/null
fi
openssl req -newkey rsa:2048 -nodes -keyout "$DIR/server.key" -out "$DIR/server.csr" -subj "/CN=portal-server" \
  2> /dev/null
printf 'subjectAltName = %s\n' "$(IFS=,; echo "$*")" > "$DIR/server.ext"
openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 825 \
  -extfile "$DIR/server.ext" -out "$DIR/server.crt" 2> /dev/null
rm -f "$DIR/server.csr" "$DIR/server.ext"
chmod 644 "$DIR/ca.crt"
echo "$DIR/server.key, $DIR/server.crt for $* (signed by $DIR/ca.crt, valid 825 days)"
