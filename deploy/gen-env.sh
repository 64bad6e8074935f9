#!/usr/bin/env bash
# Writes .env from .env.example, filling every empty secret with a fresh random one. Refuses to
# overwrite an existing .env (its secrets are already in the rabbit and mongo volumes).
#   deploy/gen-env.sh [TARGET]     default: .env at the repo root
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

target="${1:-.env}"
if [ -e "$target" ]; then
  echo "gen-env: $target exists; delete it first to start over (and the rabbit/mongo volumes with it)" >&2
  exit 1
fi

secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

umask 077
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    *_TOKEN= | *_PASSWORD=) printf '%s%s\n' "$line" "$(secret)" ;;
    *) printf '%s\n' "$line" ;;
  esac
done <.env.example >"$target"
echo "gen-env: wrote $target"
