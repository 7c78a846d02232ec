#!/bin/sh
# Starts and stops a private PostgreSQL server for the tests: a cluster in a directory of its own,
# listening on a free loopback port, reached without a password by the user "annal".
#   private_server.sh start DIR [-c name=value ...]   prints the server's URI on standard output
#   private_server.sh stop DIR                        stops the server and removes DIR
set -eu

usage() {
  echo "usage: private_server.sh start DIR [-c name=value ...] | stop DIR" >&2
  exit 2
}

[ $# -ge 2 ] || usage
command=$1 dir=$2
shift 2

bin_dir() {
  for d in "$(pg_config --bindir 2>/dev/null || true)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  echo "private_server.sh: no PostgreSQL server found (install the postgresql package)" >&2
  exit 1
}

# The server refuses to run as root: as root, run it as the postgres user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$command" in
  start)
    bin=$(bin_dir)
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U annal --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A port can be taken between the choice and the start: try a few.
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
        "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 $*" >/dev/null; then
        echo "$port" >"$dir/port"
        echo "postgres://annal@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 ||
        as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) usage ;;
esac
