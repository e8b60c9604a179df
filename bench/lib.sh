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
