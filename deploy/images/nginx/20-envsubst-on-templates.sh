#!/usr/bin/env bash
# As the official image's 20-envsubst-on-templates.sh: renders each $NGINX_ENVSUBST_TEMPLATE_DIR/**/*.template
# into $NGINX_ENVSUBST_OUTPUT_DIR (the name without the suffix). envsubst replaces only the variables that
# are defined in the environment and whose names match NGINX_ENVSUBST_FILTER (an awk regex), so nginx's own
# $variables stay as they are.
#   NGINX_ENVSUBST_TEMPLATE_DIR     (/etc/nginx/templates)
#   NGINX_ENVSUBST_TEMPLATE_SUFFIX  (.template)
#   NGINX_ENVSUBST_OUTPUT_DIR       (/etc/nginx/conf.d)
#   NGINX_ENVSUBST_FILTER           (empty: every defined variable)
set -euo pipefail

say() { [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || printf '%s: %s\n' "$0" "$*"; }

template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
filter="${NGINX_ENVSUBST_FILTER:-}"

[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
  say "ERROR: $template_dir exists, but $output_dir is not writable"
  exit 0
fi

# '${A} ${B} ...' for the defined variables matching the filter: envsubst's SHELL-FORMAT argument.
defined_envs=$(awk -v filter="$filter" 'END { for (name in ENVIRON) if (name ~ filter) printf "${%s} ", name }' </dev/null)

find "$template_dir" -follow -type f -name "*$suffix" -print | while read -r template; do
  relative_path="${template#"$template_dir"/}"
  output_path="$output_dir/${relative_path%"$suffix"}"
  mkdir -p "$(dirname "$output_path")"
  say "running envsubst on $template to $output_path"
  envsubst "$defined_envs" <"$template" >"$output_path"
done
