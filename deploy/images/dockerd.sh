#!/usr/bin/env bash
# Starts a Docker engine for dlopbox's local images and tests when none answers, and stops it again.
#   deploy/images/dockerd.sh start   prints "started" (this call started one) or "running" (one already
#                                   answered); exits non-zero when none answers and dockerd cannot start
#   deploy/images/dockerd.sh stop    stops only a dockerd that `start` started (its pid file), and waits
#                                   for it and its containerd to exit
# dockerd runs with default settings (as root), in the background, logging to a file.
#   DLOPBOX_DOCKERD_PID_FILE  (/tmp/dlopbox-dockerd.pid)
#   DLOPBOX_DOCKERD_LOG       (/tmp/dlopbox-dockerd.log)
set -euo pipefail

pid_file="${DLOPBOX_DOCKERD_PID_FILE:-/tmp/dlopbox-dockerd.pid}"
log_file="${DLOPBOX_DOCKERD_LOG:-/tmp/dlopbox-dockerd.log}"
wait_seconds=30

log() { printf 'dlopbox-dockerd: %s\n' "$*" >&2; }

engine_answers() { docker info >/dev/null 2>&1; }

# The pid in the pid file, when that process is still a dockerd (a stale file names nothing or another program).
our_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [[ "$pid" =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && printf '%s\n' "$pid"
}

start() {
  if engine_answers; then
    log "a docker engine already answers; none started"
    echo running
    return 0
  fi
  command -v docker >/dev/null || { log "no docker client on PATH (apt-get install docker.io)"; return 1; }
  command -v dockerd >/dev/null || { log "no docker engine answers and dockerd is not installed (apt-get install docker.io)"; return 1; }
  [ "$(id -u)" -eq 0 ] || { log "no docker engine answers, and dockerd needs root: run as root or start one yourself"; return 1; }
  if our_pid >/dev/null; then
    log "dockerd $(our_pid) (started earlier by this script) does not answer yet"
  else
    # setsid: dockerd outlives the caller (build.sh leaves it running for the AppHost) and its signals.
    setsid dockerd >>"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
    log "started dockerd (pid $!, log $log_file)"
  fi
  local i
  for ((i = 0; i < wait_seconds * 4; i++)); do
    if engine_answers; then
      echo started
      return 0
    fi
    our_pid >/dev/null || break
    sleep 0.25
  done
  log "dockerd did not answer within ${wait_seconds} s; the end of $log_file:"
  tail -n 20 "$log_file" >&2 || true
  stop >/dev/null || true
  return 1
}

stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$pid_file"
    log "no dockerd started by this script is running; nothing stopped"
    return 0
  fi
  # dockerd starts its own containerd; wait for that child too, so nothing of ours is left.
  local children
  children=$(pgrep -P "$pid" || true)
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 120; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "dockerd $pid did not exit within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  local child
  for child in $children; do
    for ((i = 0; i < 40; i++)); do
      kill -0 "$child" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$child" 2>/dev/null; then kill -TERM "$child" 2>/dev/null || true; fi
  done
  rm -f "$pid_file"
  log "stopped dockerd $pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
