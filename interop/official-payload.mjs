// A v2 payment produced by the official client path: @x402/core x402Client with the @x402/evm `exact` (or `upto`)
// EVM scheme, given a 402's PaymentRequired. With `extra.assetTransferMethod: "permit2"` it signs a Permit2 witness
// transfer for x402's proxy, and, when the 402 declares `eip2612GasSponsoring` or `erc20ApprovalGasSponsoring`
// and the payer has not approved Permit2, the gasless approval (the scheme reads the chain through RPC_URL).
//
// Environment: PRIVATE_KEY (required), RPC_URL (required), PAYMENT_REQUIRED (required: {x402Version: 2, resource,
//   accepts: [one offer], extensions?}), SCHEME (exact | upto, default exact)
// Prints: READY {"paymentPayload": <what the client would send in PAYMENT-SIGNATURE>}  or  READY {"error": "..."}
import { x402Client } from '@x402/core/client';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { UptoEvmScheme } from '@x402/evm/upto/client';
import { privateKeyToAccount } from 'viem/accounts';
import { requireEnv, toJson } from './x402-common.mjs';

const account = privateKeyToAccount(requireEnv('PRIVATE_KEY'));
const paymentRequired = JSON.parse(requireEnv('PAYMENT_REQUIRED'));
const options = { rpcUrl: requireEnv('RPC_URL') };
const scheme =
  (process.env.SCHEME || 'exact') === 'upto' ? new UptoEvmScheme(account, options) : new ExactEvmScheme(account, options);
const client = x402Client.fromConfig({
  schemes: [{ network: paymentRequired.accepts[0].network, client: scheme }],
  spendControls: false,
});
try {
  const paymentPayload = await client.createPaymentPayload(paymentRequired);
  process.stdout.write(`READY ${toJson({ paymentPayload })}\n`);
} catch (error) {
  process.stdout.write(`READY ${toJson({ error: error instanceof Error ? error.message : String(error) })}\n`);
}
process.exit(0);
