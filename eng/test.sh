#!/usr/bin/env bash
# The one test command: installs test dependencies, builds the solution (Release) and runs every test
# project on the Microsoft Testing Platform, writing TRX to artifacts/test-results. The last line it prints
# is always the totals, `N passed, N failed[, N skipped]`, read from those TRX files.
#
#   eng/test.sh [--coverage] [extra dotnet test / MTP options, e.g. --filter-class 'SomaAgent.Tests.*']
#
# --coverage also collects coverlet.MTP coverage (cobertura) into artifacts/coverage.
set -uo pipefail   # no -e: a failed build or test run must still reach the totals line
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
config=Release
results="$repo/artifacts/test-results"
coverage_dir="$repo/artifacts/coverage"

coverage=false
args=()
for arg in "$@"; do
  if [ "$arg" = "--coverage" ]; then coverage=true; else args+=("$arg"); fi
done
if $coverage; then
  args+=(--coverlet --coverlet-output-format cobertura --coverlet-include '[SomaAgent.*]*')
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

eng/install-test-deps.sh || { echo "test: installing test dependencies failed"; exit 1; }

# Old TRX files would be counted again.
rm -rf "$results"
$coverage && rm -rf "$coverage_dir"

status=0
echo "test: dotnet build SomaAgent.sln -c $config"
if dotnet build SomaAgent.sln -c "$config" -nologo; then
  echo "test: dotnet test --solution SomaAgent.sln"
  # global.json selects the MTP runner, so TRX/coverlet options go straight on the command line.
  dotnet test --solution SomaAgent.sln --no-build -c "$config" --no-progress \
    --report-trx --results-directory "$results" --minimum-expected-tests 1 "${args[@]}" || status=$?
  [ $status -ne 0 ] && echo "test: dotnet test exited with $status"
else
  status=$?
  echo "test: build failed (exit $status); no tests ran"
fi

if $coverage; then
  # coverlet.MTP writes next to the TRX files (it has no output-dir option); move it where CI uploads from.
  mkdir -p "$coverage_dir"
  find "$results" -name 'coverage*.xml' -exec mv -t "$coverage_dir" {} + 2>/dev/null
  echo "test: coverage reports in ${coverage_dir#"$repo"/}: $(ls "$coverage_dir" | tr '\n' ' ')"
fi

python3 eng/trx-totals.py "$results" || { [ $status -eq 0 ] && status=1; }
exit $status
