// One paid request with the official @x402/fetch client: GET URL, pay the 402 with an EIP-3009 authorization
// signed by PRIVATE_KEY, and report what came back. Spend controls are off (the test token is not a default asset).
//
// Environment: URL (required), PRIVATE_KEY (required)
// Prints: READY {"status":N,"body":<json or text>,"paymentResponse":<decoded PAYMENT-RESPONSE or null>}  then exits
import { wrapFetchWithPayment, decodePaymentResponseHeader, x402Client } from '@x402/fetch';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { privateKeyToAccount } from 'viem/accounts';
import { ready, requireEnv, toJson } from './x402-common.mjs';

const account = privateKeyToAccount(requireEnv('PRIVATE_KEY'));
const client = x402Client.fromConfig({
  schemes: [{ network: 'eip155:*', client: new ExactEvmScheme(account) }],
  spendControls: false,
});
const pay = wrapFetchWithPayment(fetch, client);
try {
  const res = await pay(requireEnv('URL'));
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  const header = res.headers.get('PAYMENT-RESPONSE');
  const paymentResponse = header ? decodePaymentResponseHeader(header) : null;
  process.stdout.write(`READY ${toJson({ status: res.status, body, paymentResponse })}\n`);
  process.exit(0);
} catch (error) {
  process.stdout.write(`READY ${toJson({ error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(0);
}
