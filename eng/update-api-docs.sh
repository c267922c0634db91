#!/usr/bin/env bash
# Regenerates the API contract and its docs: building the gateway rewrites src/SomaAgent.Gateway/openapi.json,
# then one test renders docs/SomaAgent01_API.md from it (UPDATE_API_DOCS=1 makes the test write the file).
# Commit both files afterwards; the tests fail while either is stale.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build src/SomaAgent.Gateway
dotnet build tests/SomaAgent.Tests
UPDATE_API_DOCS=1 dotnet test --project tests/SomaAgent.Tests --no-build -- \
  --filter-method "SomaAgent.Tests.Gateway.OpenApi.OpenApiDocumentTests.Api_docs_are_generated_from_the_current_openapi_document"
echo "Updated src/SomaAgent.Gateway/openapi.json and docs/SomaAgent01_API.md."
