#!/usr/bin/env bash
# Lists every package of the solution, direct and transitive, against the NuGet sources' vulnerability data and
# fails on any known vulnerability (eng/vulnerable-packages.py decides; its logic is tested on recorded reports).
#
#   eng/check-vulnerable-packages.sh [--min-severity low|moderate|high|critical]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p artifacts
dotnet restore SomaAgent.sln -nologo >/dev/null
dotnet list SomaAgent.sln package --vulnerable --include-transitive --format json >artifacts/vulnerable-packages.json
python3 eng/vulnerable-packages.py artifacts/vulnerable-packages.json "$@"
