// Places Multicall3 at its canonical address 0xcA11bde05977b3631167028862bE2a173976CA11 on an anvil chain, so that
// tools that diagnose through it (the official x402 facilitator does) work as on public chains.
//
//   env RPC_URL (required), CHAIN_ID (default 31337), PRIVATE_KEY (a funded dev key, used to deploy a copy whose
//   runtime code is then set at the canonical address with anvil_setCode)
//   prints: READY {"address":"0xcA11...","codeBytes":N,"alreadyPresent":bool}   then exits
import { createPublicClient, createTestClient, createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
// viem ships Multicall3's creation code but does not export it; import the module by path.
import { multicall3Bytecode } from './node_modules/viem/_esm/constants/contracts.js';
import { devChain, ready, requireEnv } from './x402-common.mjs';

const MULTICALL3 = '0xcA11bde05977b3631167028862bE2a173976CA11';
const chain = devChain();
const transport = http(requireEnv('RPC_URL'));
const pub = createPublicClient({ chain, transport });
const existing = await pub.getCode({ address: MULTICALL3 });
if (existing && existing !== '0x') {
  ready({ address: MULTICALL3, codeBytes: (existing.length - 2) / 2, alreadyPresent: true });
  process.exit(0);
}
const account = privateKeyToAccount(requireEnv('PRIVATE_KEY'));
const wallet = createWalletClient({ account, chain, transport });
const hash = await wallet.deployContract({ abi: [], bytecode: multicall3Bytecode });
const receipt = await pub.waitForTransactionReceipt({ hash });
const runtime = await pub.getCode({ address: receipt.contractAddress });
const test = createTestClient({ chain, mode: 'anvil', transport });
await test.setCode({ address: MULTICALL3, bytecode: runtime });
const placed = await pub.getCode({ address: MULTICALL3 });
if (placed !== runtime) {
  console.error('anvil_setCode did not take');
  process.exit(1);
}
ready({ address: MULTICALL3, codeBytes: (runtime.length - 2) / 2, alreadyPresent: false });
