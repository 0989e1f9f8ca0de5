#!/usr/bin/env bash
# Finishes the enclave artifact's jar: sets its Class-Path to every jar in its lib/, in name order, so that
# `java -jar attest402-facilitator.jar` runs it (Maven writes no space-separated list: it trims a " " separator),
# and rewrites it into the normal form of build/NormalizeJar.java (entries in name order, directory entries kept,
# STORED, every time TIMESTAMP), so two builds of the same sources give the same bytes: the measurement hashes them.
# Usage: enclave-classpath.sh DIR TIMESTAMP   (DIR holds attest402-facilitator.jar and lib/; TIMESTAMP is the
# build's ISO-8601 project.build.outputTimestamp)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec java "$root/build/NormalizeJar.java" --class-path-from-lib "$1/attest402-facilitator.jar" "$2"
