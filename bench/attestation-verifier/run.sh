#!/usr/bin/env bash
# Quotes verified per second with cached collateral: attest402's verifier beside @phala/dcap-qvl, same run.
# Usage: bench/attestation-verifier/run.sh [SECONDS_PER_MEASUREMENT]   (default 5)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER="${1:-5}"
VECTORS="$ROOT/attestation-verifier/src/test/resources/dcap"
cd "$ROOT"
if [ ! -d interop/node_modules/@phala/dcap-qvl ]; then
  (cd interop && npm ci --no-audit --no-fund >&2)
fi
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
# One reactor run: compiles main + test classes and writes the module's test classpath (the module runs last).
mvn -B -q -pl attestation-verifier -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE" >&2
CP="attestation-verifier/target/test-classes:attestation-verifier/target/classes:$(cat "$CP_FILE")"
exec java -cp "$CP" io.attest402.verifier.bench.VerifyBenchmark "$ROOT" "$VECTORS" "$SECONDS_PER"
