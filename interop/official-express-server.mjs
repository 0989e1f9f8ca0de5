// A resource server built with the official @x402/express middleware: one paid route, settled through a
// facilitator over HTTP (ours or official-facilitator.mjs).
//
// Environment:
//   FACILITATOR_URL (required)   facilitator base URL
//   PAY_TO (required)            payee address
//   ASSET (required)             token address (EIP-3009)
//   PRICE (required)             price in the token's base units
//   ASSET_NAME, ASSET_VERSION    EIP-712 domain of the token (default "USD Coin", "2")
//   NETWORK                      default eip155:31337
//   ROUTE                        default "GET /weather" (the handler answers {"report":"sunny","paid":true})
//   MAX_TIMEOUT_SECONDS          default 60
//   ASSET_TRANSFER_METHOD        "permit2" for a Permit2 offer (extra.assetTransferMethod); default EIP-3009
//   GAS_SPONSORING               "eip2612" declares the eip2612GasSponsoring extension on the paid route, "erc20"
//                                the erc20ApprovalGasSponsoring one
//   BAZAAR                       "true" declares the official bazaar discovery extension on the paid route (a GET
//                                with query parameter city=Berlin, an output example) and registers the official
//                                bazaar resource-server extension (it adds the HTTP method)
//   PORT (default 0)             listens on 127.0.0.1
//   SCHEME                       "exact" (default) or "upto": PRICE is then the maximum, and the handler charges
//                                CHARGE base units (default PRICE) with setSettlementOverrides
// Prints: READY {"port":N,"url":"http://127.0.0.1:N/weather"}
// GET /unpaid is free (200 "ok") for liveness checks; GET /failing is paid but answers 500 (no settlement).
import express from 'express';
import { paymentMiddleware, setSettlementOverrides, x402ResourceServer } from '@x402/express';
import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import { UptoEvmScheme } from '@x402/evm/upto/server';
import {
  declareEip2612GasSponsoringExtension,
  declareErc20ApprovalGasSponsoringExtension,
} from '@x402/extensions';
import { bazaarResourceServerExtension, declareDiscoveryExtension } from '@x402/extensions/bazaar';
import { port, ready, requireEnv } from './x402-common.mjs';

const network = process.env.NETWORK || 'eip155:31337';
const [method, path] = (process.env.ROUTE || 'GET /weather').split(' ');
const scheme = process.env.SCHEME || 'exact';
const accepts = {
  scheme,
  network,
  payTo: requireEnv('PAY_TO'),
  price: {
    amount: requireEnv('PRICE'),
    asset: requireEnv('ASSET'),
    extra: {
      name: process.env.ASSET_NAME || 'USD Coin',
      version: process.env.ASSET_VERSION || '2',
      ...(process.env.ASSET_TRANSFER_METHOD ? { assetTransferMethod: process.env.ASSET_TRANSFER_METHOD } : {}),
    },
  },
  maxTimeoutSeconds: Number(process.env.MAX_TIMEOUT_SECONDS || 60),
};

const facilitator = new HTTPFacilitatorClient({ url: requireEnv('FACILITATOR_URL') });
const server = new x402ResourceServer(facilitator).register(
  network,
  scheme === 'upto' ? new UptoEvmScheme() : new ExactEvmScheme(),
);

const extensions = {
  ...(process.env.GAS_SPONSORING === 'eip2612' ? declareEip2612GasSponsoringExtension() : {}),
  ...(process.env.GAS_SPONSORING === 'erc20' ? declareErc20ApprovalGasSponsoringExtension() : {}),
  ...(process.env.BAZAAR === 'true'
    ? declareDiscoveryExtension({
        input: { city: 'Berlin' },
        inputSchema: { properties: { city: { type: 'string' } }, required: ['city'] },
        output: { example: { report: 'sunny', paid: true } },
      })
    : {}),
};
if (process.env.BAZAAR === 'true') server.registerExtension(bazaarResourceServerExtension);

const app = express();
app.use(
  paymentMiddleware(
    {
      [`${method} ${path}`]: {
        accepts,
        description: 'Weather report',
        mimeType: 'application/json',
        ...(Object.keys(extensions).length ? { extensions } : {}),
      },
      'GET /failing': { accepts, description: 'Always fails', mimeType: 'application/json' },
    },
    server,
  ),
);
app[method.toLowerCase()](path, (req, res) => {
  if (scheme === 'upto') {
    setSettlementOverrides(res, { amount: process.env.CHARGE || requireEnv('PRICE') });
  }
  res.json({ report: 'sunny', paid: true });
});
app.get('/failing', (req, res) => res.status(500).json({ error: 'handler failed' }));
app.get('/unpaid', (req, res) => res.send('ok'));

const listener = app.listen(port(), '127.0.0.1', () => {
  const p = listener.address().port;
  ready({ port: p, url: `http://127.0.0.1:${p}${path}` });
});
