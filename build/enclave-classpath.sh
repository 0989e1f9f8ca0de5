#!/usr/bin/env bash
# Sets the Class-Path of the enclave artifact's jar to every jar in its lib/, in name order, so that
# `java -jar attest402-facilitator.jar` runs it. (Maven writes no space-separated list: it trims a " " separator.)
# Then rewrites the jar with its entries in name order and every entry at TIMESTAMP: the shade plugin's entry order
# follows the file system, and the measurement hashes these bytes, so one source revision must give one jar.
# Usage: enclave-classpath.sh DIR TIMESTAMP   (DIR holds attest402-facilitator.jar and lib/; TIMESTAMP is the
# build's ISO-8601 project.build.outputTimestamp)
set -euo pipefail
dir="$1"
stamp="$2"
jar="$dir/attest402-facilitator.jar"
manifest="$(mktemp)"
unpacked="$(mktemp -d)"
trap 'rm -rf "$manifest" "$unpacked"' EXIT
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
(cd "$unpacked" && jar --extract --file "$jar")
mapfile -t entries < <(cd "$unpacked" && find . -type f ! -path ./META-INF/MANIFEST.MF | sed 's|^\./||' | LC_ALL=C sort)
args=()
for e in "${entries[@]}"; do args+=(-C "$unpacked" "$e"); done  # jar's -C holds for the next file only
jar --create --date "$stamp" --file "$jar" --manifest "$unpacked/META-INF/MANIFEST.MF" "${args[@]}"
