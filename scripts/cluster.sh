#!/usr/bin/env bash
# `make cluster` / `make cluster-stop`: the production topology on one machine, without
# Docker (the same roles as docker-compose.yml): PostgreSQL and Redis as installed, the
# database affinity_cluster migrated and the demo shop loaded, two `affinity serve`
# processes on loopback ports, one `affinity worker`, one `affinity inbox process
# --forever`, and Debian's nginx as the load balancer on 127.0.0.1:8080. Everything it
# starts keeps its pid and log under var/cluster/.
#   scripts/cluster.sh start | stop | status
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${CLUSTER_DIR:-$ROOT/var/cluster}"
BIN="${AFFINITY_BIN:-$ROOT/.venv/bin/affinity}"
NGINX="${NGINX:-/usr/sbin/nginx}"
PG_HOST="${CLUSTER_PG_HOST:-127.0.0.1}"
PG_PORT="${CLUSTER_PG_PORT:-5432}"
DATABASE="${CLUSTER_DATABASE:-affinity_cluster}"
LISTEN="${CLUSTER_LISTEN:-127.0.0.1:8080}"
SERVER_PORTS="${CLUSTER_SERVER_PORTS:-8101 8102}"
REDIS_URL="${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379/0}"

export AFFINITY_DATABASE_URL="postgresql+asyncpg://postgres@$PG_HOST:$PG_PORT/$DATABASE"
export AFFINITY_DATA_DIR="$DIR/data"
export AFFINITY_REDIS_URL="$REDIS_URL"
export AFFINITY_PUBLIC_URL="http://$LISTEN"
export AFFINITY_DEMO_MODE="${AFFINITY_DEMO_MODE:-true}"

started() { [[ -f "$DIR/$1.pid" ]] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

launch() {  # name, command...: in the background, its pid and log under $DIR
    local name="$1"; shift
    if started "$name"; then echo "$name already running"; return; fi
    setsid "$@" >>"$DIR/$name.log" 2>&1 < /dev/null &
    echo $! >"$DIR/$name.pid"
}

wait_for() {  # url, seconds
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        (( SECONDS < deadline )) || { echo "no answer from $1" >&2; return 1; }
        sleep 0.2
    done
}

start_backing_services() {
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" || { echo "PostgreSQL is not running at $PG_HOST:$PG_PORT" >&2; exit 1; }
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DATABASE'" | grep -q 1 \
        || psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $DATABASE"
    if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
            --dir "$DIR" --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
    fi
}

render_nginx() {
    local upstreams="" port
    for port in $SERVER_PORTS; do
        upstreams+="server 127.0.0.1:$port max_fails=1 fail_timeout=5s; "
    done
    mkdir -p "$DIR/nginx"
    LISTEN="$LISTEN" UPSTREAMS="$upstreams" RUNTIME_DIR="$DIR/nginx" \
        envsubst '${LISTEN} ${UPSTREAMS} ${RUNTIME_DIR}' \
        <"$ROOT/deploy/nginx.conf.template" >"$DIR/nginx.conf"
}

start() {
    mkdir -p "$DIR"
    chmod 700 "$DIR"
    start_backing_services
    "$BIN" demo >>"$DIR/setup.log" 2>&1  # migrates, loads, embeds and indexes the demo shop
    local port
    for port in $SERVER_PORTS; do
        AFFINITY_WORKER_ENABLED=false AFFINITY_WEBHOOK_PROCESSOR_ENABLED=false \
            launch "serve-$port" "$BIN" serve --host 127.0.0.1 --port "$port"
    done
    launch worker "$BIN" worker
    launch inbox "$BIN" inbox process --forever
    # Ready: every active shop's catalog in memory and its index mapped (503 until then).
    for port in $SERVER_PORTS; do wait_for "http://127.0.0.1:$port/health/ready" 90; done
    render_nginx
    "$NGINX" -t -q -e "$DIR/nginx/nginx-error.log" -c "$DIR/nginx.conf" -p "$DIR/nginx"
    "$NGINX" -e "$DIR/nginx/nginx-error.log" -c "$DIR/nginx.conf" -p "$DIR/nginx"  # daemonizes; its pid in nginx/nginx.pid
    wait_for "http://$LISTEN/health" 20
    echo "cluster on http://$LISTEN (servers: $SERVER_PORTS; logs in $DIR)"
}

stop_pid() {  # name, pid file
    local pid
    [[ -f "$2" ]] || return 0
    pid="$(cat "$2")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$2"
}

stop() {
    stop_pid nginx "$DIR/nginx/nginx.pid"
    local file
    for file in "$DIR"/*.pid; do
        [[ -e "$file" ]] || continue
        stop_pid "$(basename "$file" .pid)" "$file"
    done
    echo "cluster stopped"
}

status() {
    local file
    for file in "$DIR"/*.pid "$DIR"/nginx/nginx.pid; do
        [[ -e "$file" ]] || continue
        if kill -0 "$(cat "$file")" 2>/dev/null; then echo "$(basename "$file" .pid) running"
        else echo "$(basename "$file" .pid) stopped"; fi
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
