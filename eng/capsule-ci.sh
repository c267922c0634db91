#!/usr/bin/env bash
# Capsule CI: for each capsule folder, `soma capsule lint`, `test`, `pack`, `sign` and `publish`, then `install` and
# `test --installed` (the published version answers as the draft did). .github/workflows/capsule-publish.yml runs it,
# and so does the test suite (SampleCapsulesCiTests).
#
#   eng/capsule-ci.sh --local [--no-build] [-c Release] samples/capsules/*/
#       starts its own gateway and registry (embedded, in a temporary folder; PostgreSQL and S3 when
#       ConnectionStrings__postgres and S3__ServiceUrl are set) and the repo's test MCP server at
#       http://127.0.0.1:8790/mcp, allowed on the gateway as `testtools`; a key pair is made for the run.
#   SOMA_URL=... SOMA_KEY=... eng/capsule-ci.sh --key capsule.key samples/capsules/*/
#       against a deployment; a version published already is reported and left as it is.
#
# SOMA may name the soma command (e.g. an installed dotnet tool); by default the built SomaAgent.Cli.dll runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
config=Release
bin() { echo "$repo/$1/bin/$config/net10.0"; }

local_stack=false build=true key="${SOMA_SIGNING_KEY_FILE:-}"
capsules=()
while [ $# -gt 0 ]; do
  case "$1" in
    --local) local_stack=true ;;
    --no-build) build=false ;;
    -c|--configuration) config="$2"; shift ;;
    --key) key="$2"; shift ;;
    -*) echo "capsule-ci: unknown option $1" >&2; exit 2 ;;
    *) capsules+=("$1") ;;
  esac
  shift
done
[ ${#capsules[@]} -gt 0 ] || { echo "usage: eng/capsule-ci.sh [--local] [--no-build] [--key FILE] CAPSULE_FOLDER..." >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if $build; then
  for project in src/SomaAgent.Cli src/SomaAgent.Gateway src/SomaAgent.Registry tests/SomaAgent.McpTestServer; do
    dotnet build "$project" -c "$config" -nologo -v quiet >/dev/null || { echo "capsule-ci: building $project failed" >&2; exit 1; }
  done
fi
if [ -n "${SOMA:-}" ]; then
  read -r -a soma_command <<<"$SOMA"
else
  soma_command=(dotnet "$(bin src/SomaAgent.Cli)/SomaAgent.Cli.dll")
fi
soma() { "${soma_command[@]}" "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/somaagent-capsule-ci.XXXXXX")
pids=()
cleanup() {
  # Only the processes this script started, by id.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_up() { # name url log [curl options]: until the URL answers (with -f: 2xx) or the process last started ends
  for _ in $(seq 1 120); do
    curl -sS -o /dev/null "${@:4}" "$2" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.5
  done
  echo "capsule-ci: $1 did not come up at $2; its log:" >&2
  tail -n 40 "$3" >&2
  return 1
}
start() { # folder log command...: runs a service from its folder (so it reads its appsettings.json), in the background
  (cd "$1" && exec "${@:3}") >"$2" 2>&1 &
  pids+=($!)
}

if $local_stack; then
  mcp_url=http://127.0.0.1:8790/mcp
  if curl -s -o /dev/null --max-time 1 http://127.0.0.1:8790/; then
    echo "capsule-ci: port 8790 is taken; the text-tools sample declares its MCP server there." >&2
    exit 1
  fi
  gateway_port=$(free_port) registry_port=$(free_port)
  export SOMAAGENT_BOOTSTRAP_KEY="ci-$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
  export SOMAAGENT_INTERNAL_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
  export SomaAgent__DataDirectory="$work/data" Logging__LogLevel__Default=Warning DOTNET_ENVIRONMENT=Development
  export SomaAgent__Tools__Mcp__Servers__testtools__Transport=http SomaAgent__Tools__Mcp__Servers__testtools__Url=$mcp_url

  start "$(bin tests/SomaAgent.McpTestServer)" "$work/mcp.log" dotnet SomaAgent.McpTestServer.dll --http --urls http://127.0.0.1:8790
  # The gateway lists the allowed server's tools when it starts, so the server is up first.
  wait_up mcp "$mcp_url" "$work/mcp.log"
  start "$(bin src/SomaAgent.Gateway)" "$work/gateway.log" env ASPNETCORE_URLS="http://127.0.0.1:$gateway_port" \
    services__registry__http__0="http://127.0.0.1:$registry_port" dotnet SomaAgent.Gateway.dll
  wait_up gateway "http://127.0.0.1:$gateway_port/health" "$work/gateway.log" -f
  # The registry authenticates against the gateway's store, which the gateway has created by now.
  start "$(bin src/SomaAgent.Registry)" "$work/registry.log" env ASPNETCORE_URLS="http://127.0.0.1:$registry_port" dotnet SomaAgent.Registry.dll
  wait_up registry "http://127.0.0.1:$registry_port/health" "$work/registry.log" -f
  export SOMA_URL=http://127.0.0.1:$gateway_port SOMA_KEY=$SOMAAGENT_BOOTSTRAP_KEY
  if [ -z "$key" ]; then
    soma capsule keygen --out "$work" >/dev/null
    key=$work/capsule.key
  fi
fi
[ -n "${SOMA_URL:-}" ] && [ -n "${SOMA_KEY:-}" ] || { echo "capsule-ci: set SOMA_URL and SOMA_KEY (or use --local)." >&2; exit 2; }
[ -n "$key" ] && [ -f "$key" ] || { echo "capsule-ci: give the signing key with --key FILE or SOMA_SIGNING_KEY_FILE." >&2; exit 2; }

failed=0
for folder in "${capsules[@]}"; do
  name=$(basename "$folder")
  echo "== $name"
  package="$work/$name.tar.gz"
  if ! { soma capsule lint "$folder" && soma capsule test "$folder" && soma capsule pack "$folder" -o "$package" \
      && soma capsule sign "$package" --key "$key" >/dev/null; }; then
    echo "capsule-ci: $name failed before publishing" >&2
    failed=$((failed + 1))
    continue
  fi
  if ! soma capsule publish "$package" --key "$key" 2>"$work/publish.err"; then
    cat "$work/publish.err" >&2
    if grep -q ' 409 ' "$work/publish.err"; then
      echo "capsule-ci: $name: this version is published already; bump its version to publish again."
      continue
    fi
    failed=$((failed + 1))
    continue
  fi
  if ! { soma capsule install "$name" && soma capsule test "$folder" --installed; }; then
    echo "capsule-ci: $name was published but its installed version failed its tests" >&2
    failed=$((failed + 1))
  fi
done
echo "capsule-ci: ${#capsules[@]} capsule(s), $failed failed"
[ "$failed" -eq 0 ]
