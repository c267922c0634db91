#!/usr/bin/env bash
# Publishes every deployable service (Release, framework-dependent) into artifacts/publish/<service> and prints
# each one's size and the native libraries it carries, so a service that ships what it never loads shows up.
# Exits non-zero when any publish fails. Not part of eng/test.sh; run on demand and before changing references.
#
#   eng/publish.sh                 every service
#   eng/publish.sh Registry        one service (the part after SomaAgent.)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

services=("$@")
[ ${#services[@]} -eq 0 ] && services=(Gateway Workers Registry Web)
out=artifacts/publish
failed=0
printf '%-10s %10s %10s  %s\n' service size native "native libraries (largest first)"
for service in "${services[@]}"; do
  project="src/SomaAgent.$service/SomaAgent.$service.csproj"
  [ -f "$project" ] || { echo "publish: no project $project" >&2; failed=1; continue; }
  rm -rf "$out/$service"
  if ! dotnet publish "$project" -c Release -o "$out/$service" -nologo -v quiet >"$out.$service.log" 2>&1; then
    echo "publish: $service failed; see $out.$service.log" >&2
    tail -20 "$out.$service.log" >&2
    failed=1
    continue
  fi
  rm -f "$out.$service.log"
  size=$(du -sm "$out/$service" | cut -f1)
  # Native libraries are what the packages ship under runtimes/<rid>/native, for every platform.
  native=0; largest=""
  if compgen -G "$out/$service/runtimes/*/native" >/dev/null; then
    native=$(du -cm "$out/$service"/runtimes/*/native | tail -1 | cut -f1)
    largest=$(find "$out/$service"/runtimes/*/native -type f -printf '%s %f\n' | sort -rn | awk '!seen[$2]++' | head -3 | awk '{printf "%s (%.0f MB) ", $2, $1/1048576}')
  fi
  printf '%-10s %7s MB %7s MB  %s\n' "$service" "$size" "$native" "${largest:-none}"
done
exit $failed
