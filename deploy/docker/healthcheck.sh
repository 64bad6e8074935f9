#!/usr/bin/env bash
# Container health probe of a dlopbox .NET service: GET /health on the port the service listens on
# (DLOPBOX_HEALTH_PORT). The .NET runtime images ship neither curl nor wget, so this uses bash's
# /dev/tcp; a service answers 200 only when it is ready (Interface: following the stream; Watcher:
# initial scan done; Client: replica in sync).
set -euo pipefail

port="${DLOPBOX_HEALTH_PORT:-8080}"
exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 5 status_line <&3
exec 3<&-
case "$status_line" in
  "HTTP/1.1 200"*) exit 0 ;;
  *) echo "unhealthy: ${status_line:-no answer}" >&2; exit 1 ;;
esac
