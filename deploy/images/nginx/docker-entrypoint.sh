#!/usr/bin/env bash
# The entrypoint of dlopbox's local nginx stand-in, as the official image's /docker-entrypoint.sh: when
# the command is nginx, run the executable /docker-entrypoint.d/*.sh in order, then exec the command.
#   NGINX_ENTRYPOINT_QUIET_LOGS  non-empty: say nothing of it
set -euo pipefail

say() { [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || printf '%s: %s\n' "$0" "$*"; }

if [ "${1:-}" = nginx ] || [ "${1:-}" = nginx-debug ]; then
  for script in /docker-entrypoint.d/*.sh; do
    [ -e "$script" ] || continue
    if [ -x "$script" ]; then
      say "launching $script"
      "$script"
    else
      say "ignoring $script, not executable"
    fi
  done
  say "configuration complete; ready for start up"
fi

exec "$@"
