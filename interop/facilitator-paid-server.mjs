// A resource server built on the official @x402/express middleware, settling through a facilitator given by URL
// (ours, in the facilitator interop tests). One paid route, GET /weather, priced in an EIP-3009 token given by
// address (not a default asset, so the price is an AssetAmount with the token's EIP-712 domain).
//
// Environment:
//   FACILITATOR_URL (required)    the facilitator the server verifies and settles through
//   CHAIN_ID (default 31337)      network = eip155:CHAIN_ID
//   PAY_TO, ASSET (required)      recipient and token address
//   ASSET_NAME, ASSET_VERSION     the token's EIP-712 domain (default "USD Coin", "2")
//   AMOUNT (default 1000)         price in the token's base units
//   PAYMENT_FLOW                  extra.paymentFlow of the offer ("upfront": settle before the handler, no /verify);
//                                 default: the scheme's default ("authorization")
//   PAYMENT_IDENTIFIER            "optional" or "required": the routes declare the official payment-identifier extension
//   PORT (default 0 = free port)  listens on 127.0.0.1
// GET /failing is paid the same way and answers 500 (with "upfront", after the settlement).
// Prints: READY {"port":N,"url":"http://127.0.0.1:N/weather"}
import express from 'express';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';
import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import {
  declarePaymentIdentifierExtension,
  paymentIdentifierResourceServerExtension,
} from '@x402/extensions/payment-identifier';
import { port, ready, requireEnv } from './x402-common.mjs';

const network = `eip155:${Number(process.env.CHAIN_ID || 31337)}`;
const facilitator = new HTTPFacilitatorClient({ url: requireEnv('FACILITATOR_URL') });
const server = new x402ResourceServer(facilitator).register(network, new ExactEvmScheme());

const accepts = {
  scheme: 'exact',
  network,
  payTo: requireEnv('PAY_TO'),
  maxTimeoutSeconds: 120,
  price: {
    asset: requireEnv('ASSET'),
    amount: process.env.AMOUNT || '1000',
    extra: { name: process.env.ASSET_NAME || 'USD Coin', version: process.env.ASSET_VERSION || '2' },
  },
  ...(process.env.PAYMENT_FLOW ? { extra: { paymentFlow: process.env.PAYMENT_FLOW } } : {}),
};
const paymentId = process.env.PAYMENT_IDENTIFIER;
const extensions = paymentId
  ? { 'payment-identifier': declarePaymentIdentifierExtension(paymentId === 'required') }
  : undefined;
if (paymentId) server.registerExtension(paymentIdentifierResourceServerExtension);
const routes = {
  'GET /weather': { accepts, description: 'Weather data', mimeType: 'application/json', extensions },
  'GET /failing': { accepts, description: 'Always fails', mimeType: 'application/json', extensions },
};

const app = express();
app.use(paymentMiddleware(routes, server));
app.get('/weather', (req, res) => res.json({ report: { weather: 'sunny', temperature: 21 } }));
app.get('/failing', (req, res) => res.status(500).json({ error: 'handler failed' }));

const listener = app.listen(port(), '127.0.0.1', () => {
  const p = listener.address().port;
  ready({ port: p, url: `http://127.0.0.1:${p}/weather` });
});
