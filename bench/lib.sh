# Helpers shared by the bench scripts (sourced, not run).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits up to 60 s for something to listen on loopback port $1; fails if nothing does.
wait_port() { for _ in $(seq 1 300); do (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0; sleep 0.2; done; return 1; }

# Writes the 100 000 keys (100-byte values) that the runs read and overwrite, with the bench of jar $1, to port $2,
# speaking protocol $3 (default portal).
load_keys() {
  java -jar "$1" bench --protocol "${3:-portal}" --port "$2" --ops set --keys 100000 --requests 100000 --sequential \
    --pipeline 32 --warmup 0s > /dev/null
}

# Starts a Portal server from jar $1 in store mode $2 with data folder $3 on loopback port $4, any further arguments
# being JVM options; its output goes to $3/server.log, management (HTTP) is off. Sets SERVER to its process id.
start_portal() {
  local jar=$1 mode=$2 dir=$3 port=$4
  shift 4
  java "$@" -Dportal.store.mode="$mode" -Dportal.store.data-dir="$dir" -Dportal.server.port="$port" \
    -Dportal.management.enabled=false -jar "$jar" > "$dir/server.log" 2>&1 &
  SERVER=$!
}
