// The official @x402/fetch client with the official payment-identifier extension: pays URL with payment id
// PAYMENT_ID (appendPaymentIdentifierToExtensions, as a registered client extension), then retries the request
// with the identical PAYMENT-SIGNATURE, as a client does after a lost response, and reports both answers.
//
// Environment: URL, PRIVATE_KEY, PAYMENT_ID (required)
// Prints: READY {"first":{status,body,paymentResponse},"retry":{status,body,paymentResponse},"sentId":"..."}
import { wrapFetchWithPayment, decodePaymentResponseHeader, x402Client } from '@x402/fetch';
import { decodePaymentSignatureHeader } from '@x402/core/http';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { appendPaymentIdentifierToExtensions, PAYMENT_IDENTIFIER } from '@x402/extensions/payment-identifier';
import { privateKeyToAccount } from 'viem/accounts';
import { ready, requireEnv, toJson } from './x402-common.mjs';

const url = requireEnv('URL');
const id = requireEnv('PAYMENT_ID');
const client = x402Client
  .fromConfig({
    schemes: [{ network: 'eip155:*', client: new ExactEvmScheme(privateKeyToAccount(requireEnv('PRIVATE_KEY'))) }],
    spendControls: false,
  })
  .registerExtension({
    key: PAYMENT_IDENTIFIER,
    enrichPaymentPayload: async (payload) => {
      appendPaymentIdentifierToExtensions(payload.extensions ?? {}, id);
      return payload;
    },
  });

let signature = null;
const recording = async (input, init) => {
  const req = new Request(input, init);
  signature = req.headers.get('PAYMENT-SIGNATURE') ?? signature;
  return fetch(req);
};

async function outcome(res) {
  const header = res.headers.get('PAYMENT-RESPONSE');
  return { status: res.status, body: await res.text(), paymentResponse: header ? decodePaymentResponseHeader(header) : null };
}

try {
  const first = await outcome(await wrapFetchWithPayment(recording, client)(url));
  const retry = await outcome(await fetch(url, { headers: { 'PAYMENT-SIGNATURE': signature } }));
  const sentId = decodePaymentSignatureHeader(signature).extensions?.[PAYMENT_IDENTIFIER]?.info?.id ?? null;
  process.stdout.write(`READY ${toJson({ first, retry, sentId })}\n`);
  process.exit(0);
} catch (e) {
  process.stdout.write(`READY ${toJson({ error: e instanceof Error ? e.message : String(e) })}\n`);
  process.exit(0);
}
