// Compiles src/main/solidity/*.sol with solc from npm (no binary download) against @openzeppelin/contracts and
// writes, per contract, NAME.json {contractName, abi, bytecode, deployedBytecode, compiler} (a resource Java loads)
// and NAME.abi + NAME.bin (what web3j's wrapper generator reads). Usage: node compile.mjs OUT_DIR [SRC_DIR]
// (SRC_DIR: another module's test-only contracts, e.g. enclave-facilitator/src/test/solidity; same compiler settings)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const solc = require('solc');
const outDir = process.argv[2];
if (!outDir) { console.error('usage: node compile.mjs OUT_DIR [SRC_DIR]'); process.exit(2); }

const srcDir = process.argv[3] ? path.resolve(process.argv[3]) : path.join(here, 'src/main/solidity');
const sources = {};
for (const file of fs.readdirSync(srcDir, { recursive: true })) {
  if (file.endsWith('.sol')) sources[file.split(path.sep).join('/')] = { content: fs.readFileSync(path.join(srcDir, file), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    viaIR: false,
    evmVersion: 'cancun',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};
const findImports = (p) => {
  for (const base of [path.join(here, 'node_modules'), srcDir]) {
    const full = path.join(base, p);
    if (fs.existsSync(full)) return { contents: fs.readFileSync(full, 'utf8') };
  }
  return { error: `not found: ${p}` };
};
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);

fs.mkdirSync(outDir, { recursive: true });
let count = 0;
for (const [file, contracts] of Object.entries(output.contracts)) {
  if (!sources[file]) continue; // library sources (OpenZeppelin) are not shipped
  for (const [name, c] of Object.entries(contracts)) {
    if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts
    const artifact = {
      contractName: name, sourceName: file, compiler: solc.version(), abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object, deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    };
    fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(artifact, null, 1) + '\n');
    fs.writeFileSync(path.join(outDir, `${name}.abi`), JSON.stringify(c.abi));
    fs.writeFileSync(path.join(outDir, `${name}.bin`), c.evm.bytecode.object);
    count++;
  }
}
console.error(`[attest402] solc ${solc.version()}: ${count} contracts -> ${outDir}`);
