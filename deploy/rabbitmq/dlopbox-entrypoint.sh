#!/usr/bin/env bash
# Entrypoint wrapper for the official rabbitmq image: declares dlopbox's least-privilege users, then
# hands over to the image's own docker-entrypoint.sh.
#
# The image does not substitute environment variables into its config, and passwords must come from
# the environment (.env, Kubernetes Secrets, Aspire parameters). So this writes, at every start, a
# definitions file built from the environment and a conf.d snippet that loads it at boot. With
# definitions loaded at boot RabbitMQ creates no default user: there is no guest.
#
# Users (the same permissions as Dlopbox.Embedded/BrokerUser.cs, the embedded default):
#   admin               administrator, all permissions: for people (management UI) only
#   dlopbox-interface   configure/read dlopbox.*, write dlopbox.* and amq.default (publishes to the stream)
#   dlopbox-client      read the stream only
#
# Environment:
#   DLOPBOX_RABBITMQ_ADMIN_USER, DLOPBOX_RABBITMQ_ADMIN_PASSWORD
#       (fall back to RABBITMQ_DEFAULT_USER/RABBITMQ_DEFAULT_PASS, which Aspire's AddRabbitMQ sets)
#   DLOPBOX_RABBITMQ_INTERFACE_PASSWORD, DLOPBOX_RABBITMQ_CLIENT_PASSWORD
#   DLOPBOX_STREAM_NAME (dlopbox.events)
set -euo pipefail

fail() {
  echo "dlopbox-rabbitmq: $*" >&2
  exit 1
}

# Secrets are written unescaped into JSON and used unescaped in amqp:// URIs by the services, so only
# URI-unreserved characters are allowed (e.g. `openssl rand -hex 24`).
require_token() {
  local name=$1 value=$2
  [ -n "$value" ] || fail "$name is not set (see .env.example)"
  [[ "$value" =~ ^[A-Za-z0-9._~-]+$ ]] || fail "$name may only contain A-Z a-z 0-9 . _ ~ - (use e.g. openssl rand -hex 24)"
}

admin_user="${DLOPBOX_RABBITMQ_ADMIN_USER:-${RABBITMQ_DEFAULT_USER:-}}"
admin_password="${DLOPBOX_RABBITMQ_ADMIN_PASSWORD:-${RABBITMQ_DEFAULT_PASS:-}}"
interface_user="dlopbox-interface"
interface_password="${DLOPBOX_RABBITMQ_INTERFACE_PASSWORD:-}"
client_user="dlopbox-client"
client_password="${DLOPBOX_RABBITMQ_CLIENT_PASSWORD:-}"
stream="${DLOPBOX_STREAM_NAME:-dlopbox.events}"

require_token "the admin user (DLOPBOX_RABBITMQ_ADMIN_USER)" "$admin_user"
require_token DLOPBOX_RABBITMQ_ADMIN_PASSWORD "$admin_password"
require_token DLOPBOX_RABBITMQ_INTERFACE_PASSWORD "$interface_password"
require_token DLOPBOX_RABBITMQ_CLIENT_PASSWORD "$client_password"
require_token DLOPBOX_STREAM_NAME "$stream"
[ "$admin_user" != guest ] || fail "the admin user must not be guest"
case "$admin_user" in
  "$interface_user" | "$client_user") fail "the admin user must not be one of dlopbox's service users" ;;
esac

# The stream name as an anchored regex, its dots escaped, written as a JSON string (so \\.).
stream_regex="^$(printf '%s' "$stream" | sed 's/\./\\\\./g')\$"

conf_dir="${DLOPBOX_RABBITMQ_CONF_DIR:-/etc/rabbitmq/conf.d}"
definitions="${DLOPBOX_RABBITMQ_DEFINITIONS:-/etc/rabbitmq/dlopbox-definitions.json}"

umask 077
cat >"$definitions" <<JSON
{
  "users": [
    { "name": "$admin_user", "password": "$admin_password", "tags": ["administrator"] },
    { "name": "$interface_user", "password": "$interface_password", "tags": [] },
    { "name": "$client_user", "password": "$client_password", "tags": [] }
  ],
  "vhosts": [{ "name": "/" }],
  "permissions": [
    { "user": "$admin_user", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*" },
    { "user": "$interface_user", "vhost": "/", "configure": "^dlopbox\\\\..*\$", "write": "^(dlopbox\\\\..*|amq\\\\.default)\$", "read": "^dlopbox\\\\..*\$" },
    { "user": "$client_user", "vhost": "/", "configure": "^\$", "write": "^\$", "read": "$stream_regex" }
  ]
}
JSON
# The image's 10-defaults.conf sets loopback_users.guest = false; ours comes later and wins where both
# set a key. No default_user here: with definitions loaded at boot RabbitMQ creates none.
cat >"$conf_dir/90-dlopbox.conf" <<CONF
load_definitions = $definitions
CONF
if [ "$(id -u)" = 0 ]; then
  # The image's entrypoint drops to user rabbitmq before starting the node.
  chown rabbitmq:rabbitmq "$definitions" "$conf_dir/90-dlopbox.conf"
fi

# Compose and Kubernetes clear the image's CMD when they replace its entrypoint.
[ $# -gt 0 ] || set -- rabbitmq-server
exec docker-entrypoint.sh "$@"
