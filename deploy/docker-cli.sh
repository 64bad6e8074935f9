#!/usr/bin/env bash
# dlopbox with plain docker commands (no compose), step by step as the README (Plain docker) shows them.
#   deploy/docker-cli.sh up      build the images, create the network and volumes, run every container
#   deploy/docker-cli.sh test    create a file in the master's /shared and wait for it in the client
#   deploy/docker-cli.sh down    remove the containers and the network (add --volumes to drop the data)
# Secrets come from .env at the repo root (deploy/gen-env.sh writes one). DLOPBOX_CLIENTS (1) sets how
# many clients `up` starts, each with its own volume.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

NETWORK=dlopbox
RABBIT_IMAGE=rabbitmq:4-management
MONGO_IMAGE=mongo:8.0
CLIENTS="${DLOPBOX_CLIENTS:-1}"

log() { printf 'docker-cli: %s\n' "$*" >&2; }

load_env() {
  if [ ! -f .env ]; then
    log ".env is missing: run deploy/gen-env.sh (or copy .env.example and fill it in)"
    exit 1
  fi
  set -a
  # shellcheck source=/dev/null
  . ./.env
  set +a
  local name
  for name in DLOPBOX_WATCHER_TOKEN DLOPBOX_CLIENT_TOKEN RABBITMQ_ADMIN_USER RABBITMQ_ADMIN_PASSWORD RABBITMQ_INTERFACE_PASSWORD \
    RABBITMQ_CLIENT_PASSWORD MONGO_ROOT_USER MONGO_ROOT_PASSWORD MONGO_INTERFACE_PASSWORD; do
    if [ -z "${!name:-}" ]; then
      log "$name is empty in .env (no default passwords: fill it in, or use deploy/gen-env.sh)"
      exit 1
    fi
  done
  # What the containers get. Passed with `-e NAME` (value from this environment) or `--env-file <(...)`,
  # so secrets never appear on a command line.
  export DLOPBOX_RABBITMQ_ADMIN_USER="$RABBITMQ_ADMIN_USER"
  export DLOPBOX_RABBITMQ_ADMIN_PASSWORD="$RABBITMQ_ADMIN_PASSWORD"
  export DLOPBOX_RABBITMQ_INTERFACE_PASSWORD="$RABBITMQ_INTERFACE_PASSWORD"
  export DLOPBOX_RABBITMQ_CLIENT_PASSWORD="$RABBITMQ_CLIENT_PASSWORD"
  export MONGO_INITDB_ROOT_USERNAME="$MONGO_ROOT_USER"
  export MONGO_INITDB_ROOT_PASSWORD="$MONGO_ROOT_PASSWORD"
  export DLOPBOX_MONGO_PASSWORD="$MONGO_INTERFACE_PASSWORD"
  export Interface__WatcherToken="$DLOPBOX_WATCHER_TOKEN"
  export Watcher__Token="$DLOPBOX_WATCHER_TOKEN"
  export Interface__ClientToken="$DLOPBOX_CLIENT_TOKEN"
  export Client__Token="$DLOPBOX_CLIENT_TOKEN"
  export INTERFACE_RABBIT="amqp://dlopbox-interface:${RABBITMQ_INTERFACE_PASSWORD}@rabbit:5672/"
  export INTERFACE_MONGO="mongodb://dlopbox-interface:${MONGO_INTERFACE_PASSWORD}@mongo:27017/dlopbox?authSource=dlopbox"
  export CLIENT_RABBIT="amqp://dlopbox-client:${RABBITMQ_CLIENT_PASSWORD}@rabbit:5672/"
}

# Waits until a container's health check passes (every container here has one).
wait_healthy() {
  local name=$1 status
  for _ in $(seq 1 90); do
    status=$(docker inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null || echo missing)
    case "$status" in
      healthy) log "$name is healthy"; return 0 ;;
      missing) log "$name is not running"; docker logs --tail 50 "$name" >&2 || true; exit 1 ;;
    esac
    sleep 2
  done
  log "$name did not become healthy in 3 minutes; its last log lines:"
  docker logs --tail 50 "$name" >&2 || true
  exit 1
}

build() {
  log "building images"
  # One image per service dir; the .NET ones need the repo root as context (shared projects and props).
  docker build -t dlopbox/interface:dev -f Dlopbox.Interface/Dockerfile .
  docker build -t dlopbox/watcher:dev -f Dlopbox.Watcher/Dockerfile .
  docker build -t dlopbox/client:dev -f Dlopbox.Client/Dockerfile .
  docker build -t dlopbox/nginx:dev nginx
}

up() {
  load_env
  build

  log "creating network $NETWORK and volumes"
  docker network inspect "$NETWORK" >/dev/null 2>&1 || docker network create "$NETWORK"
  # master and nginx share dlopbox-master (the target dir); rabbit, mongo, the Interface, the watcher
  # and each client have their own.
  local volume i
  for volume in dlopbox-master dlopbox-rabbit dlopbox-mongo dlopbox-interface dlopbox-watcher; do
    docker volume create "$volume" >/dev/null
  done
  for i in $(seq 1 "$CLIENTS"); do docker volume create "dlopbox-client-$i" >/dev/null; done

  log "starting rabbit and mongo"
  # A fixed host name: the node's data in the volume is keyed by it.
  docker run -d --name dlopbox-rabbit --network "$NETWORK" --network-alias rabbit --hostname rabbit \
    --restart unless-stopped \
    -e DLOPBOX_RABBITMQ_ADMIN_USER -e DLOPBOX_RABBITMQ_ADMIN_PASSWORD \
    -e DLOPBOX_RABBITMQ_INTERFACE_PASSWORD -e DLOPBOX_RABBITMQ_CLIENT_PASSWORD \
    -v dlopbox-rabbit:/var/lib/rabbitmq \
    -v "$PWD/deploy/rabbitmq/dlopbox-entrypoint.sh:/opt/dlopbox/dlopbox-entrypoint.sh:ro" \
    -p 127.0.0.1:15672:15672 \
    --health-cmd 'rabbitmq-diagnostics -q check_port_connectivity' \
    --health-interval 10s --health-timeout 10s --health-retries 12 --health-start-period 30s \
    --entrypoint bash "$RABBIT_IMAGE" /opt/dlopbox/dlopbox-entrypoint.sh rabbitmq-server
  docker run -d --name dlopbox-mongo --network "$NETWORK" --network-alias mongo \
    --restart unless-stopped \
    -e MONGO_INITDB_ROOT_USERNAME -e MONGO_INITDB_ROOT_PASSWORD -e DLOPBOX_MONGO_PASSWORD \
    -v dlopbox-mongo:/data/db \
    -v "$PWD/deploy/mongo/init-dlopbox-user.js:/docker-entrypoint-initdb.d/10-dlopbox-user.js:ro" \
    --health-cmd "mongosh --quiet --eval 'quit(db.adminCommand(\"ping\").ok ? 0 : 1)'" \
    --health-interval 10s --health-timeout 10s --health-retries 12 --health-start-period 30s \
    "$MONGO_IMAGE"
  wait_healthy dlopbox-rabbit
  wait_healthy dlopbox-mongo

  log "starting the interface"
  docker run -d --name dlopbox-interface --network "$NETWORK" --network-alias interface \
    --restart unless-stopped \
    --env-file <(printf 'ConnectionStrings__rabbit=%s\nConnectionStrings__mongo=%s\n' "$INTERFACE_RABBIT" "$INTERFACE_MONGO") \
    -e Interface__WatcherToken -e Interface__ClientToken \
    -v dlopbox-interface:/var/lib/dlopbox \
    -p "${DLOPBOX_INTERFACE_PORT:-5000}:5000" \
    dlopbox/interface:dev
  wait_healthy dlopbox-interface

  log "starting master (the watcher) and nginx on the shared volume"
  # master first: the new volume takes the owner of the watcher image's /shared (the app user).
  docker run -d --name dlopbox-master --network "$NETWORK" --network-alias master \
    --restart unless-stopped \
    -e Watcher__Token -e Watcher__Mode="${DLOPBOX_WATCHER_MODE:-Inotify}" -e Watcher__Source=master \
    -e services__interface__http__0=http://interface:5000 \
    -v dlopbox-master:/shared \
    -v dlopbox-watcher:/var/lib/dlopbox \
    dlopbox/watcher:dev
  docker run -d --name dlopbox-nginx --network "$NETWORK" --network-alias nginx \
    --restart unless-stopped \
    -v dlopbox-master:/www/data:ro \
    dlopbox/nginx:dev
  wait_healthy dlopbox-master
  wait_healthy dlopbox-nginx

  log "starting $CLIENTS client(s)"
  for i in $(seq 1 "$CLIENTS"); do
    docker run -d --name "dlopbox-client-$i" --network "$NETWORK" \
      --restart unless-stopped \
      --env-file <(printf 'ConnectionStrings__rabbit=%s\n' "$CLIENT_RABBIT") -e Client__Name="client-$i" -e Client__Token \
      -e Client__ReplicaDir=/var/lib/dlopbox/replica -e Client__StateDir=/var/lib/dlopbox/state \
      -e services__interface__http__0=http://interface:5000 -e services__nginx__http__0=http://nginx:8080 \
      -v "dlopbox-client-$i:/var/lib/dlopbox" \
      dlopbox/client:dev
  done
  for i in $(seq 1 "$CLIENTS"); do wait_healthy "dlopbox-client-$i"; done
  log "up: the Interface is on http://127.0.0.1:${DLOPBOX_INTERFACE_PORT:-5000}; try: deploy/docker-cli.sh test"
}

# The seeds' check: a file created in the master's /shared shows up, byte for byte, in the client.
test_sync() {
  local name content got
  name="dlopbox-cli-test-$(date +%s)-$$.txt"
  content="hello from the master at $(date -u +%FT%TZ)"
  log "creating /shared/$name in dlopbox-master"
  docker exec dlopbox-master sh -c 'printf "%s\n" "$1" > "/shared/$2"' sh "$content" "$name"
  for _ in $(seq 1 60); do
    if got=$(docker exec dlopbox-client-1 cat "/var/lib/dlopbox/replica/$name" 2>/dev/null) && [ "$got" = "$content" ]; then
      log "PASS: $name arrived in dlopbox-client-1 with the same content"
      return 0
    fi
    sleep 0.5
  done
  log "FAIL: $name did not arrive in dlopbox-client-1 within 30 s"
  exit 1
}

down() {
  local containers
  containers=$(docker ps -aq --filter name='^dlopbox-')
  if [ -n "$containers" ]; then
    # shellcheck disable=SC2086 # one id per word
    docker rm -f $containers >/dev/null
  fi
  docker network rm "$NETWORK" >/dev/null 2>&1 || true
  if [ "${1:-}" = --volumes ]; then
    docker volume ls -q --filter name='^dlopbox-' | xargs -r docker volume rm
  fi
  log "down"
}

case "${1:-}" in
  up) up ;;
  test) test_sync ;;
  down) shift; down "$@" ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
