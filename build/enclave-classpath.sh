#!/usr/bin/env bash
# Sets the Class-Path of the enclave artifact's jar to every jar in its lib/, in name order, so that
# `java -jar attest402-facilitator.jar` runs it. (Maven writes no space-separated list: it trims a " " separator.)
# Usage: enclave-classpath.sh DIR   (DIR holds attest402-facilitator.jar and lib/)
set -euo pipefail
dir="$1"
jar="$dir/attest402-facilitator.jar"
manifest="$(mktemp)"
trap 'rm -f "$manifest"' EXIT
# Manifest lines are at most 72 bytes: one jar per continuation line (leading space = continuation, the second
# space separates the entries).
{
  printf 'Class-Path:'
  for j in $(cd "$dir" && LC_ALL=C ls lib/*.jar); do
    printf ' %s\n ' "$j"
  done
  printf '\n'
} > "$manifest"
jar --update --file "$jar" --manifest "$manifest"
