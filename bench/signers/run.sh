#!/usr/bin/env bash
# Settlement throughput of the attest402 facilitator with 1 signer beside 4 signers (--signers 4), same anvil,
# same load, one run; prints the 4/1 ratio.
# Usage: bench/signers/run.sh [SETTLEMENTS] [CONCURRENCY] [ROUNDS]   (defaults 200 32 2)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
mvn -B -q -pl enclave-facilitator -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE" >&2
CP="enclave-facilitator/target/test-classes:enclave-facilitator/target/classes:$(cat "$CP_FILE")"
exec java -Dattest402.root="$ROOT" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  io.attest402.facilitator.bench.SignersBenchmark "${1:-200}" "${2:-32}" "${3:-2}"
