#!/usr/bin/env bash
# Builds dlopbox's local stand-in images from Debian's packages, for machines that reach no image registry:
#   dlopbox-local/debian:bookworm            debootstrap --variant=minbase, imported
#   dlopbox-local/rabbitmq:3.10-management   Debian's rabbitmq-server + the management plugin
#   dlopbox-local/nginx:1.22                 Debian's nginx-light + envsubst on /etc/nginx/templates
# These are stand-ins, not the official images, and never carry official names.
# Each image is labelled with a hash of its inputs; an image whose label matches is left as it is.
# Starts dockerd (deploy/images/dockerd.sh) when no engine answers, and leaves it running.
#   deploy/images/build.sh                 build what is out of date, then print the image names
#   deploy/images/build.sh --print-names   print the image names, one a line, and build nothing
#   DLOPBOX_IMAGES_MIRROR                  the Debian mirror (default: the machine's apt sources)
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"

base_image=dlopbox-local/debian:bookworm
rabbitmq_image=dlopbox-local/rabbitmq:3.10-management
nginx_image=dlopbox-local/nginx:1.22
inputs_label=org.dlopbox.inputs

print_names() { printf '%s\n' "$base_image" "$rabbitmq_image" "$nginx_image"; }

if [ "${1:-}" = --print-names ]; then
  print_names
  exit 0
fi
[ $# -eq 0 ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

log() { printf 'dlopbox-images: %s\n' "$*" >&2; }

# The inputs label of an image, or nothing when there is no such image.
current_inputs() { docker image inspect --format "{{ index .Config.Labels \"$inputs_label\" }}" "$1" 2>/dev/null || true; }

# A hash of a build context: every file's path, mode and bytes, in a fixed order.
context_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum && find . -type f -printf '%p %m\n' | LC_ALL=C sort) |
    sha256sum | cut -d' ' -f1
}

started=$("$here/dockerd.sh" start)
[ "$started" = started ] && log "started dockerd for the build; it stays running (stop it with $here/dockerd.sh stop)"

# --- base begin (this section is an input of the base image) ---
suite=bookworm
# The mirror the machine's apt uses: deb822 sources first, then a classic sources.list line.
apt_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}
mirror="${DLOPBOX_IMAGES_MIRROR:-$(apt_mirror)}"

build_base() {
  local inputs
  inputs=$( (printf '%s\n%s\n' "$mirror" "$suite" && sed -n '/^# --- base begin/,/^# --- base end/p' "$here/build.sh") | sha256sum | cut -d' ' -f1)
  if [ "$(current_inputs "$base_image")" = "$inputs" ]; then
    log "base $base_image up to date"
    return 0
  fi
  command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }
  log "building base $base_image (debootstrap $suite from $mirror, ~45 s)"
  local started_at=$SECONDS
  local rootfs
  rootfs=$(mktemp -d /tmp/dlopbox-rootfs.XXXXXX)
  # shellcheck disable=SC2064 # expand now: the trap must remove this very dir
  trap "rm -rf '$rootfs'" EXIT
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
    { log "debootstrap failed; the end of its log:"; tail -n 20 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  # Keep the image small: apt lists and caches are fetched again by the images' own apt-get update.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  # As in Debian's official images: packages installed in a build must not start their daemons there.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  tar -C "$rootfs" --numeric-owner -c . |
    docker import --change "LABEL $inputs_label=$inputs" --change 'CMD ["bash"]' - "$base_image" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  log "built $base_image in $((SECONDS - started_at)) s"
}
# --- base end ---

# Builds one image from its Dockerfile dir (FROM the base) unless its inputs are unchanged.
build_image() {
  local image=$1 context=$2 base_id inputs
  base_id=$(docker image inspect --format '{{ .Id }}' "$base_image")
  inputs=$(printf '%s\n%s\n' "$base_id" "$(context_hash "$context")" | sha256sum | cut -d' ' -f1)
  if [ "$(current_inputs "$image")" = "$inputs" ]; then
    log "$image up to date"
    return 0
  fi
  log "building $image (apt-get from $mirror, ~30 s)"
  local started_at=$SECONDS
  local build_log
  build_log=$(mktemp /tmp/dlopbox-image-build.XXXXXX)
  # The classic builder: BuildKit (and so `# syntax=` or --progress) would need buildx and a registry.
  if ! DOCKER_BUILDKIT=0 docker build --label "$inputs_label=$inputs" -t "$image" "$context" >"$build_log" 2>&1; then
    log "docker build of $image failed; the end of its log:"
    tail -n 30 "$build_log" >&2
    rm -f "$build_log"
    exit 1
  fi
  rm -f "$build_log"
  log "built $image in $((SECONDS - started_at)) s"
}

build_base
build_image "$rabbitmq_image" "$here/rabbitmq"
build_image "$nginx_image" "$here/nginx"
# Dangling layers of images replaced just now.
docker image prune -f --filter "label=$inputs_label" >/dev/null
print_names
