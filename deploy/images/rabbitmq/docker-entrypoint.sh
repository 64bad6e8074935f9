#!/usr/bin/env bash
# The entrypoint of dlopbox's local RabbitMQ stand-in: what the official image's docker-entrypoint.sh
# does, with setpriv (util-linux) instead of gosu.
#   - run as root with a rabbitmq* command: give /var/lib/rabbitmq to user rabbitmq, then run again as it
#   - long node names when the hostname is a long one
#   - exec the command (CMD: rabbitmq-server)
# The server itself reads RABBITMQ_DEFAULT_USER/RABBITMQ_DEFAULT_PASS and RABBITMQ_NODENAME (Aspire sets
# all three: its node name is NAME@localhost, so data in a volume survives a new container hostname),
# and loads /etc/rabbitmq/conf.d/*.conf.
set -euo pipefail

if [[ "${1:-}" == rabbitmq* ]] && [ "$(id -u)" = 0 ]; then
  if [ "$1" = rabbitmq-server ]; then
    find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq '{}' +
  fi
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "${BASH_SOURCE[0]}" "$@"
fi

# If long and short hostnames are not the same, use long hostnames.
if [ -z "${RABBITMQ_USE_LONGNAME:-}" ] && [ "$(hostname)" != "$(hostname -s)" ]; then
  export RABBITMQ_USE_LONGNAME=true
fi

exec "$@"
