#!/usr/bin/env bash
# The entrypoint of dlopbox's local RabbitMQ stand-in: what the official image's docker-entrypoint.sh
# does, with setpriv (util-linux) instead of gosu.
#   - run as root with a rabbitmq* command: give /var/lib/rabbitmq to user rabbitmq (and, unlike the
#     official image, make the Erlang cookie there as that user), then run again as it
#   - long node names when the hostname is a long one
#   - exec the command (CMD: rabbitmq-server)
# The server itself reads RABBITMQ_DEFAULT_USER/RABBITMQ_DEFAULT_PASS and RABBITMQ_NODENAME (Aspire sets
# all three: its node name is NAME@localhost, so data in a volume survives a new container hostname),
# and loads /etc/rabbitmq/conf.d/*.conf.
set -euo pipefail

if [[ "${1:-}" == rabbitmq* ]] && [ "$(id -u)" = 0 ]; then
  if [ "$1" = rabbitmq-server ]; then
    find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq '{}' +
    # The node's Erlang cookie, made now as the node's user if the volume has none. Otherwise a health
    # check (rabbitmq-diagnostics, run as root with HOME=/var/lib/rabbitmq) that comes before the node
    # has written one creates it owned by root, and the node fails with eacces on it.
    if [ ! -e /var/lib/rabbitmq/.erlang.cookie ]; then
      setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups bash -c \
        'umask 077; od -An -N20 -tx1 /dev/urandom | tr -d " \n" >/var/lib/rabbitmq/.erlang.cookie; chmod 400 /var/lib/rabbitmq/.erlang.cookie'
    fi
  fi
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "${BASH_SOURCE[0]}" "$@"
fi

# If long and short hostnames are not the same, use long hostnames.
if [ -z "${RABBITMQ_USE_LONGNAME:-}" ] && [ "$(hostname)" != "$(hostname -s)" ]; then
  export RABBITMQ_USE_LONGNAME=true
fi

exec "$@"
