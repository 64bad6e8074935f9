#!/usr/bin/env bash
# Builds dlopbox's local stand-in images from Debian's packages, for machines that reach no image registry:
#   dlopbox-local/debian:bookworm            debootstrap --variant=minbase, imported
#   dlopbox-local/rabbitmq:3.10-management   Debian's rabbitmq-server + the management plugin
#   dlopbox-local/nginx:1.22                 Debian's nginx-light + envsubst on /etc/nginx/templates
#   dlopbox-local/dotnet-sdk:10.0            the host's .NET install (SDK, runtimes, packs): the services' build stage
#   dlopbox-local/dotnet-aspnet:10.0         the host's .NET + ASP.NET Core runtimes: the services' final stage
# These are stand-ins, not the official images, and never carry official names.
# Each image is labelled with a hash of its inputs; an image whose label matches is left as it is.
# Starts dockerd (deploy/images/dockerd.sh) when no engine answers, and leaves it running.
#   deploy/images/build.sh                 build what is out of date, then print the image names
#   deploy/images/build.sh --print-names   print the image names, one a line, and build nothing
#   DLOPBOX_IMAGES_MIRROR                  the Debian mirror (default: the machine's apt sources)
#   DOTNET_ROOT                            the .NET install to copy (default: where `dotnet` on PATH lives)
#   DLOPBOX_IMAGES_CA_DIR                  extra CA certificates (*.crt) for the SDK image (/usr/local/share/ca-certificates)
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"

base_image=dlopbox-local/debian:bookworm
rabbitmq_image=dlopbox-local/rabbitmq:3.10-management
nginx_image=dlopbox-local/nginx:1.22
# The tag is the .NET channel the official images are tagged with; the host's install must be of it.
dotnet_channel=10.0
dotnet_sdk_image=dlopbox-local/dotnet-sdk:$dotnet_channel
dotnet_aspnet_image=dlopbox-local/dotnet-aspnet:$dotnet_channel
inputs_label=org.dlopbox.inputs

print_names() { printf '%s\n' "$base_image" "$rabbitmq_image" "$nginx_image" "$dotnet_sdk_image" "$dotnet_aspnet_image"; }

if [ "${1:-}" = --print-names ]; then
  print_names
  exit 0
fi
[ $# -eq 0 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

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

# Each image's id before this run: those replaced by a new build are removed at the end.
mapfile -t names < <(print_names)
old_ids=()
for name in "${names[@]}"; do old_ids+=("$(docker image inspect --format '{{ .Id }}' "$name" 2>/dev/null || true)"); done

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

# True, and says so, when IMAGE was built from INPUTS already.
up_to_date() {
  [ "$(current_inputs "$1")" = "$2" ] || return 1
  log "$1 up to date"
}

# docker build IMAGE from CONTEXT (a dir, or - for a tar on stdin), labelled with INPUTS, with the classic
# builder: BuildKit (and so `# syntax=` or --progress) would need buildx and a registry. Its output is kept
# aside and only its end shown, when it fails; then the script ends.
classic_build() {
  local image=$1 inputs=$2 context=$3 started_at=$SECONDS build_log
  build_log=$(mktemp /tmp/dlopbox-image-build.XXXXXX)
  if ! DOCKER_BUILDKIT=0 docker build --label "$inputs_label=$inputs" -t "$image" "$context" >"$build_log" 2>&1; then
    log "docker build of $image failed; the end of its log:"
    tail -n 30 "$build_log" >&2
    rm -f "$build_log"
    exit 1
  fi
  rm -f "$build_log"
  log "built $image in $((SECONDS - started_at)) s"
}

# Builds one image from its Dockerfile dir (FROM the base) unless its inputs are unchanged.
build_image() {
  local image=$1 context=$2 base_id inputs
  base_id=$(docker image inspect --format '{{ .Id }}' "$base_image")
  inputs=$(printf '%s\n%s\n' "$base_id" "$(context_hash "$context")" | sha256sum | cut -d' ' -f1)
  up_to_date "$image" "$inputs" && return 0
  log "building $image (apt-get from $mirror, ~30 s)"
  classic_build "$image" "$inputs" "$context"
}

# The host's .NET install, checked to be of the channel the images are tagged with.
dotnet_root() {
  local root="${DOTNET_ROOT:-}"
  if [ -z "$root" ] && command -v dotnet >/dev/null; then
    root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  fi
  if [ -z "$root" ] || [ ! -x "$root/dotnet" ]; then
    log "no .NET install found (install the .NET $dotnet_channel SDK or set DOTNET_ROOT)"
    exit 1
  fi
  local part
  for part in "sdk/$dotnet_channel" "shared/Microsoft.NETCore.App/$dotnet_channel" "shared/Microsoft.AspNetCore.App/$dotnet_channel"; do
    compgen -G "$root/$part.*" >/dev/null || { log "$root has no $part.* (the .NET images are tagged $dotnet_channel)"; exit 1; }
  done
  printf '%s\n' "$root"
}

# Builds a .NET image from its Dockerfile dir plus parts of the host's .NET install, which go into the
# context as dotnet/ (streamed with tar, not copied). Those parts are inputs by each file's path, size, mode
# and mtime (hashing the ~600 MB of an SDK at every run would cost more than it saves); not by the dirs'
# mtimes, which the SDK itself touches when it runs (metadata/).
# With EXTRA_DIR (not -), that dir's files go into the context too, under the dir's own name.
#   build_dotnet_image IMAGE DOCKERFILE_DIR EXTRA_DIR|- PART...   (PART: a top-level entry of the .NET install)
build_dotnet_image() {
  local image=$1 context=$2 extra=$3 base_id inputs install_listing extra_hash=-
  shift 3
  base_id=$(docker image inspect --format '{{ .Id }}' "$base_image")
  install_listing=$(cd "$dotnet" && find "$@" \! -type d -printf '%p %s %m %T@ %l\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1)
  [ "$extra" = - ] || extra_hash=$(context_hash "$extra")
  inputs=$(printf '%s\n%s\n%s\n%s\n' "$base_id" "$(context_hash "$context")" "$install_listing" "$extra_hash" | sha256sum | cut -d' ' -f1)
  up_to_date "$image" "$inputs" && return 0
  log "building $image (the .NET install in $dotnet, apt-get from $mirror, ~30-60 s)"
  local part parts=() extra_args=()
  for part in "$@"; do parts+=("./$part"); done
  [ "$extra" = - ] || extra_args=(-C "$(dirname "$extra")" "$(basename "$extra")")
  # One tar: the Dockerfile dir's files as they are, the install's parts renamed ./X -> dotnet/X (S: symlink
  # targets untouched). `docker build -` takes a tar on stdin as the whole context.
  (cd "$context" && find . -type f -printf '%P\n' | LC_ALL=C sort) |
    tar -c -f - -C "$context" -T - "${extra_args[@]}" -C "$dotnet" --transform 's,^\./,dotnet/,S' "${parts[@]}" |
    classic_build "$image" "$inputs" - || exit 1
}

build_base
build_image "$rabbitmq_image" "$here/rabbitmq"
build_image "$nginx_image" "$here/nginx"
dotnet=$(dotnet_root)
# The SDK image gets the whole install (SDKs, runtimes, targeting packs, workload manifests, templates);
# the runtime image only what `dotnet app.dll` needs.
mapfile -t dotnet_parts < <(cd "$dotnet" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
# The SDK's restore reaches NuGet over https, maybe through a proxy whose CA only this machine trusts: the
# machine's own CA certificates (Debian's /usr/local/share/ca-certificates) go into the SDK image.
ca_stage=$(mktemp -d /tmp/dlopbox-local-ca.XXXXXX)
# shellcheck disable=SC2064 # expand now: the trap must remove this very dir
trap "rm -rf '$ca_stage'" EXIT
mkdir "$ca_stage/local-ca-certificates"
printf 'CA certificates of the machine that built this image (%s)\n' "${DLOPBOX_IMAGES_CA_DIR:-/usr/local/share/ca-certificates}" \
  >"$ca_stage/local-ca-certificates/README"
find "${DLOPBOX_IMAGES_CA_DIR:-/usr/local/share/ca-certificates}" -maxdepth 1 -name '*.crt' -type f \
  -exec cp -p {} "$ca_stage/local-ca-certificates/" \; 2>/dev/null || true
touch -d @0 "$ca_stage/local-ca-certificates/README"
build_dotnet_image "$dotnet_sdk_image" "$here/dotnet-sdk" "$ca_stage/local-ca-certificates" "${dotnet_parts[@]}"
build_dotnet_image "$dotnet_aspnet_image" "$here/dotnet-aspnet" - dotnet host shared LICENSE.txt ThirdPartyNotices.txt
rm -rf "$ca_stage"
trap - EXIT
# The images replaced just now, children first, where nothing uses them any more (docker rmi refuses an
# image that has containers or children). Not `docker image prune --filter label=...`: images built FROM
# these inherit the label, and the classic builder's cache of the services' build stage is such a
# dangling image; pruning it would make every compose build compile from scratch.
for ((i = ${#names[@]} - 1; i >= 0; i--)); do
  old=${old_ids[$i]}
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{ .Id }}' "${names[$i]}")" ]; then
    docker rmi "$old" >/dev/null 2>&1 || true
  fi
done
print_names
