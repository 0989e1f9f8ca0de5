// An x402 v1 payment produced by the official v1 client path: @x402/core x402Client with the @x402/evm v1 exact
// scheme registered for the offer's legacy network name (as a v1 client that reads X-PAYMENT offers does).
//
// Environment: PRIVATE_KEY (required), REQUIREMENTS (required, one v1 offer: scheme, network such as base-sepolia,
//   maxAmountRequired, resource, description, mimeType, payTo, maxTimeoutSeconds, asset, extra {name, version})
// Prints: READY {"paymentPayload": <the v1 payload the client would send in X-PAYMENT>}  then exits
import { x402Client } from '@x402/core/client';
import { ExactEvmSchemeV1 } from '@x402/evm/exact/v1/client';
import { privateKeyToAccount } from 'viem/accounts';
import { requireEnv, toJson } from './x402-common.mjs';

const account = privateKeyToAccount(requireEnv('PRIVATE_KEY'));
const requirements = JSON.parse(requireEnv('REQUIREMENTS'));
const client = x402Client.fromConfig({
  schemes: [{ x402Version: 1, network: requirements.network, client: new ExactEvmSchemeV1(account) }],
  spendControls: false,
});
try {
  const paymentPayload = await client.createPaymentPayload({
    x402Version: 1,
    error: 'X-PAYMENT header is required',
    accepts: [requirements],
  });
  process.stdout.write(`READY ${toJson({ paymentPayload })}\n`);
} catch (error) {
  process.stdout.write(`READY ${toJson({ error: error instanceof Error ? error.message : String(error) })}\n`);
}
process.exit(0);
