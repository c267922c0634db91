#!/usr/bin/env bash
# Regenerates the deployment files from the AppHost's app model (containers topology, publish mode):
#   deploy/aspire-manifest.json   Aspire's manifest (azd and other Aspire deployers read it)
#   deploy/kubernetes/            Kubernetes manifests, applied with kubectl apply -k (docs/deploy.md)
#   deploy/compose/               a Docker Compose file and its .env.example
#   azure.yaml                    azd's project file
# Commit what it changes: AppHost/DeploymentManifestsTests fails while the committed files differ from the model.
#
#   eng/generate-manifests.sh [--no-build]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
build=()
[ "${1:-}" = "--no-build" ] && build=(--no-build)
SomaAgent__Topology=containers dotnet run --project src/SomaAgent.AppHost -c Release "${build[@]}" -- \
  --publisher manifest --output-path "$PWD/deploy/aspire-manifest.json" >/dev/null
echo "generate-manifests: wrote deploy/aspire-manifest.json, deploy/kubernetes/, deploy/compose/ and azure.yaml"
