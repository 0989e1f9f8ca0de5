#!/usr/bin/env bash
# Sets the Class-Path of the enclave artifact's jar to every jar in its lib/, in name order, so that
# `java -jar attest402-facilitator.jar` runs it. (Maven writes no space-separated list: it trims a " " separator.)
# The updated manifest gets TIMESTAMP, as every other entry has from the build (the measurement hashes these bytes).
# Usage: enclave-classpath.sh DIR TIMESTAMP   (DIR holds attest402-facilitator.jar and lib/; TIMESTAMP is the
# build's ISO-8601 project.build.outputTimestamp)
set -euo pipefail
dir="$1"
stamp="$2"
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
jar --update --date "$stamp" --file "$jar" --manifest "$manifest"
