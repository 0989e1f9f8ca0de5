#!/usr/bin/env bash
# Generates typed web3j wrappers for every compiled contract (web3j codegen; no hand-computed selectors).
# Usage: generate-wrappers.sh CLASSPATH ARTIFACT_DIR OUT_DIR
set -euo pipefail
cp="$1"; artifacts="$2"; out="$3"
mkdir -p "$out"
for abi in "$artifacts"/*.abi; do
  name="$(basename "$abi" .abi)"
  java -cp "$cp" org.web3j.codegen.SolidityFunctionWrapperGenerator \
    -a "$abi" -b "$artifacts/$name.bin" -p io.attest402.contracts.generated -o "$out" >/dev/null 2>&1 \
    || { echo "web3j codegen failed for $name" >&2; exit 1; }
done
