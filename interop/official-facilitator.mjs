// The official x402 facilitator logic (@x402/core x402Facilitator with the @x402/evm exact and upto schemes), served over
// HTTP as the official example facilitator serves it:
//   POST /verify, POST /settle  body {x402Version, paymentPayload, paymentRequirements}
//     200 + VerifyResponse / SettleResponse (invalid and failed outcomes too),
//     400 {"error":"Missing paymentPayload or paymentRequirements"}, 500 {"error": message} when the SDK throws
//   GET /supported              200 + {kinds, extensions, signers}
// Used as the referee in differential tests and benchmarks.
//
// Environment:
//   RPC_URL (required)            JSON-RPC endpoint (anvil)
//   CHAIN_ID (default 31337)      network = eip155:CHAIN_ID (override with NETWORK)
//   FACILITATOR_PRIVATE_KEY       (required) the gas-paying settlement key
//   PORT (default 0 = free port)  listens on 127.0.0.1
//   EIP6492_ALLOWED_FACTORIES     comma-separated factory allowlist (default: none)
//   CONFIRMATION_TIMEOUT_MS       receipt wait before settlement_pending (default 180000, viem's)
//   SIMULATE_IN_SETTLE            "true" to simulate again at settle (default false)
//   ERC20_APPROVAL_GAS_SPONSORING "true" registers the erc20ApprovalGasSponsoring facilitator extension (its signer
//                                 sends the payer's signed approval, then the settlement, one after the other; it
//                                 offers no bundle simulation, so verify checks the official prerequisites)
//   BAZAAR_CATALOG                "true" catalogs the bazaar declarations of verified payments as the official example
//                                 facilitator (examples/typescript/facilitator/advanced/bazaar.ts) does: after each
//                                 verify, @x402/extensions' extractDiscoveryInfo (validating) on the payment; served by
//                                 GET /discovery/resources as {x402Version: 2, items, pagination}, one item per resource
//                                 {resource, description, mimeType, type: "http", x402Version, accepts, discoveryInfo,
//                                 lastUpdated}
// Prints: READY {"port":N,"url":"http://127.0.0.1:N","address":"0x…","network":"eip155:…"}
//
// On a bare anvil there is no Multicall3, so after a failed simulation the official diagnostic multicall fails and
// every such failure is reported as invalid_exact_evm_transaction_simulation_failed; run install-multicall3.mjs
// first for the specific reasons (nonce used, balance, name, version).
import express from 'express';
import { x402Facilitator } from '@x402/core/facilitator';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator';
import { UptoEvmScheme } from '@x402/evm/upto/facilitator';
import { createErc20ApprovalGasSponsoringExtension } from '@x402/extensions';
import { extractDiscoveryInfo } from '@x402/extensions/bazaar';
import { createWalletClient, http, publicActions } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devChain, port, ready, requireEnv } from './x402-common.mjs';

const chain = devChain();
const network = process.env.NETWORK || `eip155:${chain.id}`;
const account = privateKeyToAccount(requireEnv('FACILITATOR_PRIVATE_KEY'));
const client = createWalletClient({ account, chain, transport: http(requireEnv('RPC_URL')) }).extend(publicActions);

const signer = toFacilitatorEvmSigner(
  {
    address: account.address,
    readContract: (args) => client.readContract({ ...args, args: args.args || [] }),
    verifyTypedData: (args) => client.verifyTypedData(args),
    writeContract: (args) => client.writeContract({ ...args, args: args.args || [] }),
    sendTransaction: (args) => client.sendTransaction(args),
    waitForTransactionReceipt: (args) => client.waitForTransactionReceipt(args),
    getCode: (args) => client.getCode(args),
  },
  process.env.CONFIRMATION_TIMEOUT_MS ? { confirmationTimeoutMs: Number(process.env.CONFIRMATION_TIMEOUT_MS) } : {},
);

const facilitator = new x402Facilitator();
registerExactEvmScheme(facilitator, {
  signer,
  networks: [network],
  eip6492AllowedFactories: (process.env.EIP6492_ALLOWED_FACTORIES || '').split(',').map((s) => s.trim()).filter(Boolean),
  simulateInSettle: process.env.SIMULATE_IN_SETTLE === 'true',
});
// upto (Permit2, facilitator-bound witness) beside exact, as the official example facilitator registers it
facilitator.register(network, new UptoEvmScheme(signer));

if (process.env.ERC20_APPROVAL_GAS_SPONSORING === 'true') {
  facilitator.registerExtension(
    createErc20ApprovalGasSponsoringExtension({
      ...signer,
      sendTransactions: async (transactions) => {
        const hashes = [];
        for (const tx of transactions) {
          const hash =
            typeof tx === 'string'
              ? await client.sendRawTransaction({ serializedTransaction: tx })
              : await client.sendTransaction({ to: tx.to, data: tx.data, gas: tx.gas });
          await client.waitForTransactionReceipt({ hash });
          hashes.push(hash);
        }
        return hashes;
      },
    }),
  );
}

const catalog = new Map();
if (process.env.BAZAAR_CATALOG === 'true') {
  facilitator.onAfterVerify(async ({ paymentPayload, requirements }) => {
    const found = extractDiscoveryInfo(paymentPayload, requirements, true);
    if (found) {
      catalog.set(found.resourceUrl, {
        resource: found.resourceUrl,
        description: found.description,
        mimeType: found.mimeType,
        type: 'http',
        x402Version: found.x402Version,
        accepts: [requirements],
        discoveryInfo: found.discoveryInfo,
        lastUpdated: new Date().toISOString(),
      });
    }
  });
}

const app = express();
app.use(express.json({ limit: '1mb' }));

function route(action) {
  return async (req, res) => {
    try {
      const { paymentPayload, paymentRequirements } = req.body || {};
      if (!paymentPayload || !paymentRequirements) {
        res.status(400).json({ error: 'Missing paymentPayload or paymentRequirements' });
        return;
      }
      res.json(await action(paymentPayload, paymentRequirements));
    } catch (error) {
      console.error(`${req.path} error:`, error);
      res.status(500).json({ error: error instanceof Error ? error.message : 'Unknown error' });
    }
  };
}

app.post('/verify', route((p, r) => facilitator.verify(p, r)));
app.post('/settle', route((p, r) => facilitator.settle(p, r)));
app.get('/supported', (req, res) => {
  try {
    res.json(facilitator.getSupported());
  } catch (error) {
    res.status(500).json({ error: error instanceof Error ? error.message : 'Unknown error' });
  }
});

if (process.env.BAZAAR_CATALOG === 'true') {
  app.get('/discovery/resources', (req, res) => {
    const items = [...catalog.values()];
    res.json({ x402Version: 2, items, pagination: { limit: 100, offset: 0, total: items.length } });
  });
}

const server = app.listen(port(), '127.0.0.1', () => {
  const p = server.address().port;
  ready({ port: p, url: `http://127.0.0.1:${p}`, address: account.address, network });
});
