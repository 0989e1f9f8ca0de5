// Shared helpers for the x402 interop scripts (official-*.mjs, install-multicall3.mjs).
import { defineChain } from 'viem';

/** A viem chain for the local anvil (or any dev chain): CHAIN_ID and RPC_URL from the environment. */
export function devChain(env = process.env) {
  const id = Number(env.CHAIN_ID || 31337);
  const rpc = requireEnv('RPC_URL', env);
  return defineChain({
    id,
    name: `dev-${id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
}

export function requireEnv(name, env = process.env) {
  const v = env[name];
  if (v === undefined || v === '') {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return v;
}

/** Port from PORT (0 = any free port). */
export function port(env = process.env) {
  return Number(env.PORT || 0);
}

/** Prints the READY line the Java harness (NodeScript) waits for. */
export function ready(info) {
  process.stdout.write(`READY ${JSON.stringify(info)}\n`);
}

/** JSON.stringify with bigints as decimal strings. */
export function toJson(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}
