// One paid request with the official @x402/fetch client and a viem account; prints the outcome as the READY line
// and exits.
//
//   node official-fetch-client.mjs URL
// Environment:
//   PRIVATE_KEY (required)   the payer's key
//   NETWORK                  default eip155:31337 (the only network the client registers)
//   ASSET (required)         the non-default token to allow
//   MAX_AMOUNT (required)    per-payment cap for it, in base units
//   METHOD, BODY, CONTENT_TYPE   request method (default GET), body and its type
//   RPC_URL                  lets the scheme read allowances and sign the eip2612GasSponsoring permit
// Prints: READY {"ok":true,"status":N,"body":"...","paymentResponse":{...}|null,"paymentSignature":{...}|null,
//                "payer":"0x…"}  or  READY {"ok":false,"error":"..."}
import { wrapFetchWithPayment, x402Client, decodePaymentResponseHeader } from '@x402/fetch';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { UptoEvmScheme } from '@x402/evm/upto/client';
import { privateKeyToAccount } from 'viem/accounts';
import { ready, requireEnv } from './x402-common.mjs';

const url = process.argv[2];
if (!url) {
  console.error('usage: node official-fetch-client.mjs URL');
  process.exit(2);
}
const network = process.env.NETWORK || 'eip155:31337';
const account = privateKeyToAccount(requireEnv('PRIVATE_KEY'));
const client = new x402Client()
  // with RPC_URL the scheme reads the chain for the gas-sponsoring extensions (Permit2 offers)
  .register(network, new ExactEvmScheme(account, process.env.RPC_URL ? { rpcUrl: process.env.RPC_URL } : undefined))
  // upto offers (Permit2 with a facilitator-bound witness) are signed by the official upto client scheme
  .register(network, new UptoEvmScheme(account, process.env.RPC_URL ? { rpcUrl: process.env.RPC_URL } : undefined))
  .setSpendControls({
    allowedAssets: [{ network, asset: requireEnv('ASSET'), maxAmountPerPayment: requireEnv('MAX_AMOUNT') }],
  });

// Records the PAYMENT-SIGNATURE the official client sends, so tests can verify it independently.
let sentSignature = null;
const recordingFetch = async (input, init) => {
  const req = new Request(input, init);
  const sig = req.headers.get('PAYMENT-SIGNATURE');
  if (sig) sentSignature = sig;
  return fetch(req);
};

try {
  const paidFetch = wrapFetchWithPayment(recordingFetch, client);
  const init = { method: process.env.METHOD || 'GET' };
  if (process.env.BODY !== undefined) {
    init.body = process.env.BODY;
    init.headers = { 'Content-Type': process.env.CONTENT_TYPE || 'application/json' };
  }
  const res = await paidFetch(url, init);
  const header = res.headers.get('PAYMENT-RESPONSE');
  ready({
    ok: true,
    status: res.status,
    body: await res.text(),
    paymentResponse: header ? decodePaymentResponseHeader(header) : null,
    paymentSignatureHeader: sentSignature,
    payer: account.address,
  });
} catch (e) {
  ready({ ok: false, error: e instanceof Error ? e.message : String(e), payer: account.address });
}
