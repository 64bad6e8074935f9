#!/usr/bin/env bash
# dlopbox with plain docker commands (no compose): the README's "Plain docker" steps, which are this file's
# steps section word for word (DockerCliTests checks it).
#   deploy/docker-cli.sh up               build the images, create the network and volumes, run every container
#   deploy/docker-cli.sh test             create a file in the master's /shared and wait for it in every client
#   deploy/docker-cli.sh down [--volumes] remove the containers and the network (--volumes: the data too)
# Settings come from .env at the repo root (deploy/gen-env.sh writes one; DLOPBOX_ENV_FILE names another) or
# the environment: DLOPBOX_NAME (dlopbox) prefixes every container and volume and names the network;
# DLOPBOX_CLIENTS (1) clients; DLOPBOX_MONGO=off leaves MongoDB out; DLOPBOX_*_IMAGE, DLOPBOX_IMAGE_TAG,
# the ports and DLOPBOX_HEALTH_INTERVAL as .env.example says.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

log() { printf 'docker-cli: %s\n' "$*" >&2; }

# Reads the settings (a missing file is an error only for `up`, which needs the secrets).
load_env() {
  local file="${DLOPBOX_ENV_FILE:-./.env}"
  if [ -f "$file" ]; then
    set -a
    # shellcheck source=/dev/null
    . "$file"
    set +a
  elif [ "$1" = required ]; then
    log "$file is missing: run deploy/gen-env.sh (or copy .env.example and fill it in)"
    exit 1
  fi
  P="${DLOPBOX_NAME:-dlopbox}"
  LABEL="org.dlopbox.project=$P"
}

check_settings() {
  local name names=(DLOPBOX_WATCHER_TOKEN DLOPBOX_CLIENT_TOKEN RABBITMQ_ADMIN_USER RABBITMQ_ADMIN_PASSWORD
    RABBITMQ_INTERFACE_PASSWORD RABBITMQ_CLIENT_PASSWORD)
  case "${DLOPBOX_MONGO:-on}" in
    on) names+=(MONGO_ROOT_USER MONGO_ROOT_PASSWORD MONGO_INTERFACE_PASSWORD) ;;
    off) ;;
    *) log "DLOPBOX_MONGO is '$DLOPBOX_MONGO': on or off"; exit 1 ;;
  esac
  for name in "${names[@]}"; do
    if [ -z "${!name:-}" ]; then
      log "$name is empty (no default passwords: fill it in .env, or use deploy/gen-env.sh)"
      exit 1
    fi
  done
  if ! [[ "$P" =~ ^[a-z0-9][a-z0-9_.-]*$ ]]; then
    log "DLOPBOX_NAME is '$P': lower-case letters, digits and _ . - only"
    exit 1
  fi
  if [ -n "$(docker ps -aq --filter "label=$LABEL")" ]; then
    log "$P is already up (its containers exist): deploy/docker-cli.sh down first"
    exit 1
  fi
}

up() {
  load_env required
  check_settings
  steps
  log "up: the status page is http://$(docker port "$P-interface" 5000/tcp | head -n 1); try: deploy/docker-cli.sh test"
}

# The README shows this section as it is: copied into a shell after step 0, it does what `up` does.
steps() {
# --- steps begin ---
# 1. settings: every name starts with $P; everything made here carries $LABEL, by which `down` removes it
P="${DLOPBOX_NAME:-dlopbox}" LABEL="org.dlopbox.project=${DLOPBOX_NAME:-dlopbox}"
TAG="${DLOPBOX_IMAGE_TAG:-dev}" CLIENTS="${DLOPBOX_CLIENTS:-1}" MONGO="${DLOPBOX_MONGO:-on}"
HEALTH=(--health-interval "${DLOPBOX_HEALTH_INTERVAL:-10s}" --health-start-period 180s)
wait_healthy() { # until the container's health check passes (every container here has one)
  for _ in $(seq 1 300); do
    case "$(docker inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$1" || echo missing)" in
      "running healthy") echo "$1 is healthy"; return 0 ;;
      *unhealthy | exited* | dead* | missing) break ;;
    esac
    sleep 1
  done
  echo "$1 is not healthy; its last log lines:" >&2; docker logs --tail 50 "$1" >&2; return 1
}

# 2. one image per service: the three .NET ones are targets of the repo root's Dockerfile, on its bases (the
#    official images) unless DLOPBOX_*_IMAGE names others
DOTNET_BASES=(${DLOPBOX_DOTNET_SDK_IMAGE:+--build-arg "SDK_IMAGE=$DLOPBOX_DOTNET_SDK_IMAGE"}
  ${DLOPBOX_DOTNET_RUNTIME_IMAGE:+--build-arg "RUNTIME_IMAGE=$DLOPBOX_DOTNET_RUNTIME_IMAGE"})
for service in interface watcher client; do docker build "${DOTNET_BASES[@]}" --target "$service" -t "dlopbox/$service:$TAG" .; done
docker build ${DLOPBOX_NGINX_IMAGE:+--build-arg "NGINX_IMAGE=$DLOPBOX_NGINX_IMAGE"} -t "dlopbox/nginx:$TAG" nginx

# 3. a dedicated network, and volumes: master and nginx share $P-master; the others have one each
docker network create --label "$LABEL" "$P"
for v in master rabbit interface watcher $(seq -f client-%g "$CLIENTS"); do docker volume create --label "$LABEL" "$P-$v"; done

# 4. RabbitMQ: its users from the environment (least privilege, no guest); the management UI on the loopback
export DLOPBOX_RABBITMQ_ADMIN_USER="$RABBITMQ_ADMIN_USER" DLOPBOX_RABBITMQ_ADMIN_PASSWORD="$RABBITMQ_ADMIN_PASSWORD" \
  DLOPBOX_RABBITMQ_INTERFACE_PASSWORD="$RABBITMQ_INTERFACE_PASSWORD" DLOPBOX_RABBITMQ_CLIENT_PASSWORD="$RABBITMQ_CLIENT_PASSWORD"
docker run -d --name "$P-rabbit" --label "$LABEL" --network "$P" --network-alias rabbit --hostname rabbit \
  --restart unless-stopped -e DLOPBOX_RABBITMQ_ADMIN_USER -e DLOPBOX_RABBITMQ_ADMIN_PASSWORD \
  -e DLOPBOX_RABBITMQ_INTERFACE_PASSWORD -e DLOPBOX_RABBITMQ_CLIENT_PASSWORD \
  -v "$P-rabbit:/var/lib/rabbitmq" -v "$PWD/deploy/rabbitmq/dlopbox-entrypoint.sh:/opt/dlopbox/dlopbox-entrypoint.sh:ro" \
  -p "127.0.0.1:${DLOPBOX_RABBITMQ_UI_PORT:-15672}:15672" \
  --health-cmd 'rabbitmq-diagnostics -q check_port_connectivity' --health-timeout 10s "${HEALTH[@]}" \
  --entrypoint bash "${DLOPBOX_RABBITMQ_IMAGE:-rabbitmq:4-management}" /opt/dlopbox/dlopbox-entrypoint.sh rabbitmq-server

# 5. MongoDB, the Interface's event log; DLOPBOX_MONGO=off leaves it out, and the Interface keeps its log in SQLite
if [ "$MONGO" = on ]; then
  export MONGO_INITDB_ROOT_USERNAME="$MONGO_ROOT_USER" MONGO_INITDB_ROOT_PASSWORD="$MONGO_ROOT_PASSWORD" \
    DLOPBOX_MONGO_PASSWORD="$MONGO_INTERFACE_PASSWORD"
  docker volume create --label "$LABEL" "$P-mongo"
  docker run -d --name "$P-mongo" --label "$LABEL" --network "$P" --network-alias mongo --restart unless-stopped \
    -e MONGO_INITDB_ROOT_USERNAME -e MONGO_INITDB_ROOT_PASSWORD -e DLOPBOX_MONGO_PASSWORD -v "$P-mongo:/data/db" \
    -v "$PWD/deploy/mongo/init-dlopbox-user.js:/docker-entrypoint-initdb.d/10-dlopbox-user.js:ro" \
    --health-cmd "mongosh --quiet --eval 'quit(db.adminCommand(\"ping\").ok ? 0 : 1)'" --health-timeout 10s "${HEALTH[@]}" \
    "${DLOPBOX_MONGO_IMAGE:-mongo:8.0}"
  wait_healthy "$P-mongo"
fi
wait_healthy "$P-rabbit"

# 6. the Interface, its status page on port 5000 of the loopback; secrets through --env-file, never on a command line
interface_settings() {
  printf 'ConnectionStrings__rabbit=amqp://dlopbox-interface:%s@rabbit:5672/\n' "$RABBITMQ_INTERFACE_PASSWORD"
  if [ "$MONGO" = on ]; then
    printf 'ConnectionStrings__mongo=mongodb://dlopbox-interface:%s@mongo:27017/dlopbox?authSource=dlopbox\n' "$MONGO_INTERFACE_PASSWORD"
  fi
  printf 'Interface__WatcherToken=%s\nInterface__ClientToken=%s\n' "$DLOPBOX_WATCHER_TOKEN" "$DLOPBOX_CLIENT_TOKEN"
}
docker run -d --name "$P-interface" --label "$LABEL" --network "$P" --network-alias interface --restart unless-stopped \
  --env-file <(interface_settings) -e Interface__Live__FilesUrl="${DLOPBOX_FILES_URL:-http://localhost:8080/files/}" \
  -e OTEL_EXPORTER_OTLP_ENDPOINT -e OTEL_SERVICE_NAME=interface "${HEALTH[@]}" \
  -v "$P-interface:/var/lib/dlopbox" -p "127.0.0.1:${DLOPBOX_INTERFACE_PORT:-5000}:5000" "dlopbox/interface:$TAG"
wait_healthy "$P-interface"

# 7. master (the watcher) and nginx on the shared volume: the new volume takes the owner of the watcher image's
#    /shared (its app user); nocopy, so that nginx's mount does not give it that of nginx's /www/data (root)
docker run -d --name "$P-master" --label "$LABEL" --network "$P" --network-alias master --restart unless-stopped \
  --env-file <(printf 'Watcher__Token=%s\n' "$DLOPBOX_WATCHER_TOKEN") -e Watcher__Mode="${DLOPBOX_WATCHER_MODE:-Inotify}" \
  -e Watcher__Source=master -e services__interface__http__0=http://interface:5000 \
  -e OTEL_EXPORTER_OTLP_ENDPOINT -e OTEL_SERVICE_NAME=master "${HEALTH[@]}" \
  -v "$P-master:/shared" -v "$P-watcher:/var/lib/dlopbox" "dlopbox/watcher:$TAG"
docker run -d --name "$P-nginx" --label "$LABEL" --network "$P" --network-alias nginx --restart unless-stopped \
  "${HEALTH[@]}" -v "$P-master:/www/data:ro,nocopy" -p "127.0.0.1:${DLOPBOX_FILES_PORT:-8080}:8080" "dlopbox/nginx:$TAG"
wait_healthy "$P-master"
wait_healthy "$P-nginx"

# 8. the clients, each with its own volume (its replica and its offset)
for i in $(seq "$CLIENTS"); do
  docker run -d --name "$P-client-$i" --label "$LABEL" --network "$P" --restart unless-stopped \
    --env-file <(printf 'ConnectionStrings__rabbit=amqp://dlopbox-client:%s@rabbit:5672/\nClient__Token=%s\n' \
      "$RABBITMQ_CLIENT_PASSWORD" "$DLOPBOX_CLIENT_TOKEN") \
    -e Client__Name="client-$i" -e Client__ReplicaDir=/var/lib/dlopbox/replica -e Client__StateDir=/var/lib/dlopbox/state \
    -e services__interface__http__0=http://interface:5000 -e services__nginx__http__0=http://nginx:8080 \
    -e OTEL_EXPORTER_OTLP_ENDPOINT -e OTEL_SERVICE_NAME=client "${HEALTH[@]}" \
    -v "$P-client-$i:/var/lib/dlopbox" "dlopbox/client:$TAG"
done
for i in $(seq "$CLIENTS"); do wait_healthy "$P-client-$i"; done
# --- steps end ---
}

# The seeds' check: a file created in the master's /shared shows up, byte for byte, in every client (`ls`).
test_sync() {
  load_env optional
  local name content clients client pending
  name="dlopbox-cli-test-$(date +%s)-$$.txt"
  content="hello from the master at $(date -u +%FT%TZ)"
  mapfile -t clients < <(docker ps --filter "label=$LABEL" --format '{{.Names}}' | grep -- "^$P-client-" | sort)
  if [ "${#clients[@]}" -eq 0 ]; then
    log "FAIL: no client of $P is running (deploy/docker-cli.sh up first)"
    exit 1
  fi
  log "creating /shared/$name in $P-master"
  docker exec "$P-master" sh -c 'printf "%s\n" "$1" > "/shared/$2"' sh "$content" "$name"
  for _ in $(seq 1 60); do
    pending=()
    for client in "${clients[@]}"; do
      if ! docker exec "$client" ls /var/lib/dlopbox/replica 2>/dev/null | grep -xF -- "$name" >/dev/null ||
        [ "$(docker exec "$client" cat "/var/lib/dlopbox/replica/$name" 2>/dev/null)" != "$content" ]; then
        pending+=("$client")
      fi
    done
    if [ "${#pending[@]}" -eq 0 ]; then
      log "PASS: $name arrived in ${clients[*]} with the same content"
      return 0
    fi
    sleep 0.5
  done
  log "FAIL: $name did not arrive within 30 s in ${pending[*]}"
  exit 1
}

down() {
  load_env optional
  local ids
  ids=$(docker ps -aq --filter "label=$LABEL")
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # one id per word
    docker rm -f -v $ids >/dev/null
  fi
  docker network ls -q --filter "label=$LABEL" | xargs -r docker network rm >/dev/null
  if [ "${1:-}" = --volumes ]; then
    docker volume ls -q --filter "label=$LABEL" | xargs -r docker volume rm >/dev/null
  fi
  log "down: $P"
}

case "${1:-}" in
  up) up ;;
  test) test_sync ;;
  down) shift; down "$@" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
