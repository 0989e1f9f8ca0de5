#!/usr/bin/env bash
# Verify and settle throughput and p50/p99 latency of the attest402 facilitator beside the official facilitator
# logic (@x402/core + @x402/evm 2.27.0, interop/official-facilitator.mjs), same anvil, same payloads, same load;
# ours as it ships (verify batching off) verifies and settles; verify also with batching on (--verify-batch-ms 2),
# the batched/unbatched ratio.
# Usage: bench/facilitator/run.sh [VERIFY_SECONDS] [SETTLEMENTS] [CONCURRENCY]   (defaults 8 200 32)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [ ! -d interop/node_modules/@x402/evm ]; then
  (cd interop && npm ci --no-audit --no-fund >&2)
fi
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
# One reactor run: compiles main + test classes and writes the module's test classpath (the module runs last).
mvn -B -q -pl enclave-facilitator -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE" >&2
CP="enclave-facilitator/target/test-classes:enclave-facilitator/target/classes:$(cat "$CP_FILE")"
exec java -Dattest402.root="$ROOT" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  io.attest402.facilitator.bench.FacilitatorBenchmark "${1:-8}" "${2:-200}" "${3:-32}"
