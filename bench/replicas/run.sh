#!/usr/bin/env bash
# Settlement throughput of the attest402 facilitator on SQLite (one node) beside 1 and 3 replicas on one PostgreSQL
# database (embedded server from Maven Central, as the tests start it), same anvil, same load, one run; prints the
# ratios to SQLite and 3/1 replicas.
# Usage: bench/replicas/run.sh [SETTLEMENTS] [CONCURRENCY] [ROUNDS]   (defaults 200 32 2)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
mvn -B -q -pl enclave-facilitator -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE" >&2
CP="enclave-facilitator/target/test-classes:enclave-facilitator/target/classes:$(cat "$CP_FILE")"
# the embedded PostgreSQL server lives under enclave-facilitator/target, as in the tests
cd enclave-facilitator
CP="$(echo "$CP" | sed "s#\(^\|:\)enclave-facilitator/#\1$ROOT/enclave-facilitator/#g")"
exec java -Dattest402.root="$ROOT" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  io.attest402.facilitator.bench.ReplicasBenchmark "${1:-200}" "${2:-32}" "${3:-2}"
