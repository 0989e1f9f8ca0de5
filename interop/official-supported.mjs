// Reads a facilitator's GET /supported the way the official resource server does: @x402/core HTTPFacilitatorClient
// .getSupported() (which validates the body against the SDK's schema), then x402ResourceServer.initialize() with the
// exact/EVM and upto/EVM server schemes, and reports which kinds and extensions the server now sees.
//
// Environment: FACILITATOR_URL (required)
// Prints: READY {"supported": <the parsed body>, "kinds": [{x402Version, scheme, network, serverSees, extensions}]}
//   or READY {"error": message} when the SDK refuses it
import { HTTPFacilitatorClient, x402ResourceServer } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import { UptoEvmScheme } from '@x402/evm/upto/server';
import { requireEnv, toJson } from './x402-common.mjs';

try {
  const facilitator = new HTTPFacilitatorClient({ url: requireEnv('FACILITATOR_URL') });
  const supported = await facilitator.getSupported();
  const server = new x402ResourceServer(facilitator).register('eip155:*', new ExactEvmScheme())
    .register('eip155:*', new UptoEvmScheme());
  await server.initialize();
  const kinds = supported.kinds.map((k) => ({
    ...k,
    serverSees: server.getSupportedKind(k.x402Version, k.network, k.scheme) !== undefined,
    extensions: server.getFacilitatorExtensions(k.x402Version, k.network, k.scheme),
  }));
  process.stdout.write(`READY ${toJson({ supported, kinds })}\n`);
} catch (error) {
  process.stdout.write(`READY ${toJson({ error: error instanceof Error ? error.message : String(error) })}\n`);
}
process.exit(0);
