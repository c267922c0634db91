#!/usr/bin/env bash
# The one run command: builds and starts the whole system under the Aspire AppHost.
# Embedded topology unless a container runtime answers (or SomaAgent__Topology says otherwise); nothing
# else to install: the .NET SDK pinned in global.json is all it needs.
#   eng/run.sh                          dashboard http://localhost:18888, gateway http://localhost:8010
#   SomaAgent__Topology=embedded eng/run.sh
#   SOMAAGENT_BOOTSTRAP_KEY=... eng/run.sh   the platform-admin key of your choosing (>= 32 characters) instead of
#                                          the generated one (the AppHost parameter bootstrap-key)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

want=$(python3 -c 'import json;print(json.load(open("global.json"))["sdk"]["version"])' 2>/dev/null || echo "10.0")
if ! command -v dotnet >/dev/null || ! dotnet --list-sdks | grep -q "^${want%.*}"; then
  echo "run: the .NET SDK $want is required (global.json); install it from https://dot.net and run again." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# No dev certificate is needed: the dashboard and services talk plain http on loopback.
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
if [ -n "${SOMAAGENT_BOOTSTRAP_KEY:-}" ]; then
  # Aspire reads a parameter's value from Parameters:<name>; the name has a hyphen, so env sets it.
  exec env "Parameters__bootstrap-key=$SOMAAGENT_BOOTSTRAP_KEY" dotnet run --project src/SomaAgent.AppHost --launch-profile http -- "$@"
fi
exec dotnet run --project src/SomaAgent.AppHost --launch-profile http -- "$@"
