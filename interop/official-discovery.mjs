// Lists a facilitator's bazaar catalog with the official discovery client (@x402/extensions' withBazaar on
// @x402/core's HTTPFacilitatorClient) and checks every listed bazaar declaration with the SDK's own validator.
//
// Environment:
//   FACILITATOR_URL (required)   facilitator base URL
//   PARAMS                       JSON of listResources params ({type, payTo, scheme, network, extensions, limit, offset})
// Prints: READY {"ok":true,"result":<DiscoveryResourcesResponse>,"valid":[bool per item],"errors":[[...] per item]}
//         or READY {"ok":false,"error":"..."}
import { HTTPFacilitatorClient } from '@x402/core/server';
import { withBazaar, validateDiscoveryExtension } from '@x402/extensions/bazaar';
import { ready, requireEnv } from './x402-common.mjs';

const client = withBazaar(new HTTPFacilitatorClient({ url: requireEnv('FACILITATOR_URL') }));
try {
  const params = process.env.PARAMS ? JSON.parse(process.env.PARAMS) : undefined;
  const result = await client.extensions.bazaar.listResources(params);
  const checks = result.items.map((item) => validateDiscoveryExtension(item.extensions?.bazaar ?? {}));
  ready({ ok: true, result, valid: checks.map((c) => c.valid), errors: checks.map((c) => c.errors ?? []) });
} catch (e) {
  ready({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
