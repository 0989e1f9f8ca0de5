#!/usr/bin/env bash
# Installs the build's node tools from the committed lockfiles (npm ci), once per lockfile change.
# contracts/: solc, OpenZeppelin, anvil. interop/: the official x402 SDK and the other peers our tests compare with.
# pay-per-inference-demo/web/: the summary page (Vite, the official @x402/fetch client, playwright-core for its test).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v npm >/dev/null || { echo "npm not found: attest402 needs Node 20+ with npm" >&2; exit 1; }
for dir in contracts interop pay-per-inference-demo/web; do
  [ -f "$root/$dir/package-lock.json" ] || continue
  stamp="$root/$dir/node_modules/.attest402-lock.sha256"
  want="$(sha256sum "$root/$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then continue; fi
  echo "[attest402] npm ci in $dir/ (first build only)" >&2
  (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
done
