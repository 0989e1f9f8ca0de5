// Load generator for bench/paid-request: REQUESTS paid requests with the official @x402/fetch client (viem
// account), CONCURRENCY at a time, each one 402 → sign → paid retry → PAYMENT-RESPONSE; prints the latencies.
//
//   node official-paid-bench.mjs URL REQUESTS CONCURRENCY
// Environment: PRIVATE_KEY, ASSET, MAX_AMOUNT (required); NETWORK (default eip155:31337)
// Prints: READY {"ok":N,"failed":N,"seconds":S,"latenciesMs":[...],"errors":{...}}  then exits
import { wrapFetchWithPayment, x402Client } from '@x402/fetch';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { privateKeyToAccount } from 'viem/accounts';
import { ready, requireEnv } from './x402-common.mjs';

const [url, requests, concurrency] = [process.argv[2], Number(process.argv[3] || 100), Number(process.argv[4] || 1)];
if (!url) {
  console.error('usage: node official-paid-bench.mjs URL REQUESTS CONCURRENCY');
  process.exit(2);
}
const network = process.env.NETWORK || 'eip155:31337';
const client = new x402Client()
  .register(network, new ExactEvmScheme(privateKeyToAccount(requireEnv('PRIVATE_KEY'))))
  .setSpendControls({
    allowedAssets: [{ network, asset: requireEnv('ASSET'), maxAmountPerPayment: requireEnv('MAX_AMOUNT') }],
  });
const paidFetch = wrapFetchWithPayment(fetch, client);

const latenciesMs = [];
const errors = {};
let ok = 0;
let failed = 0;
let next = 0;
async function worker() {
  while (next < requests) {
    next++;
    const t0 = performance.now();
    try {
      const res = await paidFetch(url);
      await res.text();
      if (res.status === 200 && res.headers.get('PAYMENT-RESPONSE')) {
        ok++;
        latenciesMs.push(performance.now() - t0);
      } else {
        failed++;
        errors[res.status] = (errors[res.status] || 0) + 1;
      }
    } catch (e) {
      failed++;
      const k = e instanceof Error ? e.message.slice(0, 80) : String(e);
      errors[k] = (errors[k] || 0) + 1;
    }
  }
}
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
ready({ ok, failed, seconds: (performance.now() - start) / 1000, latenciesMs, errors });
process.exit(0);
