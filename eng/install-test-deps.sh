#!/usr/bin/env bash
# Installs what the test suite needs on Debian 12 (CI and dev machines): the PostgreSQL 15 and Redis
# servers the test fixtures start privately, and the repo's dotnet tools. Idempotent: a second run only
# checks and returns.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
# The fixtures call the server binaries directly, so check for them rather than for the package only.
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] && dpkg -s postgresql >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]} (apt)"
  # Services never autostart on these machines (no systemd); the tests start their own servers.
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-test-deps: postgresql and redis-server already installed"
fi

if [ -f .config/dotnet-tools.json ]; then
  echo "install-test-deps: dotnet tool restore"
  dotnet tool restore >/dev/null
fi
