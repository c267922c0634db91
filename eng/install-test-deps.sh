#!/usr/bin/env bash
# Installs what the test suite needs on Debian 12 (CI and dev machines): the PostgreSQL 15 and Redis
# servers the test fixtures start privately, openssl (which checks capsule signatures as an implementation
# that is not ours), Chromium (the Web's browser tests), Prometheus and promtool (the alert rules), node + npm and the packages of the test OIDC issuer, S3 server and Sigstore verifier
# (tests/SomaAgent.Tests/Infrastructure/oidc, s3rver, sigstore, kubernetes), and the repo's dotnet tools. Idempotent: a second run only
# checks and returns.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
# The fixtures call the server binaries directly, so check for them rather than for the package only.
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] && dpkg -s postgresql >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The OIDC issuer of the JWT tests is npm's oidc-provider (Node 20 or later).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The capsule signature tests check our ECDSA signatures with an implementation that is not ours.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The Web's end-to-end tests drive Debian's Chromium with Playwright (never `playwright install`: it cannot download here).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The alert rules are unit-tested with promtool and evaluated by a real Prometheus scraping the services.
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]} (apt)"
  # Services never autostart on these machines (no systemd); the tests start their own servers.
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-test-deps: postgresql, redis-server, node, npm, openssl, chromium and prometheus already installed"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "install-test-deps: warning: node $(node --version) is older than 20, which oidc-provider 9 (the JWT tests' issuer) needs" >&2
fi

# The node packages of the test servers and tools: the OIDC issuer of the JWT tests, the S3 server (s3rver, a
# MinIO stand-in) of the artifact store tests, Sigstore's verifier of the signature tests, and the Kubernetes API
# schemas (kubernetes-models) the generated manifests are validated against.
for folder_package in oidc:oidc-provider s3rver:s3rver sigstore:@sigstore/verify kubernetes:kubernetes-models; do
  folder=tests/SomaAgent.Tests/Infrastructure/${folder_package%%:*}
  if [ -d "$folder/node_modules/${folder_package#*:}" ]; then
    echo "install-test-deps: $folder packages already installed"
  else
    echo "install-test-deps: npm ci in $folder"
    (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

if [ -f .config/dotnet-tools.json ]; then
  echo "install-test-deps: dotnet tool restore"
  dotnet tool restore >/dev/null
fi
