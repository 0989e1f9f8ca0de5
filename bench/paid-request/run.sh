#!/usr/bin/env bash
# A whole paid request end to end on one automining anvil, ours beside the official SDK in the same run:
# PayingHttpClient -> X402PaymentHandler -> our facilitator, and @x402/fetch -> @x402/express -> official facilitator
# (@x402/* 2.27.0, interop/official-*.mjs). p50/p99 and throughput at concurrency 1 and at CONCURRENCY.
# Usage: bench/paid-request/run.sh [REQUESTS] [CONCURRENCY]   (defaults 100 8)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [ ! -d interop/node_modules/@x402/express ]; then
  (cd interop && npm ci --no-audit --no-fund >&2)
fi
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
# One reactor run: compiles main + test classes and writes the module's test classpath (the module runs last).
mvn -B -q -pl pay-per-inference-demo -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE" >&2
CP="pay-per-inference-demo/target/test-classes:pay-per-inference-demo/target/classes:$(cat "$CP_FILE")"
exec java -Dattest402.root="$ROOT" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  io.attest402.demo.bench.PaidRequestBenchmark "${1:-100}" "${2:-8}"
