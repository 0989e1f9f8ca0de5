// Runs @phala/dcap-qvl (the JS port of Phala's dcap-qvl) on DCAP quotes, for differential tests and benchmarks.
//
//   node dcap-qvl-verify.mjs verify QUOTE_FILE COLLATERAL_JSON NOW_UNIX_SECONDS [ROOT_CA_DER]
//       prints one JSON object: {"ok":true,"status":..,"advisories":[..]} or {"ok":false,"error":"..."}
//   node dcap-qvl-verify.mjs batch            (stdin: JSON array of {id,quote,collateral,now[,root]})
//       prints one JSON array of {id, ok, status, advisories | error}
//   node dcap-qvl-verify.mjs bench QUOTE_FILE COLLATERAL_JSON NOW SECONDS
//       verifies the quote repeatedly for SECONDS (after a warm-up) and prints {"ops":N,"seconds":S,"perSecond":R}
//
// Quote files may be raw binary, hex or 0x-hex; collateral is the QuoteCollateralV3 JSON of the test vectors.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { QuoteVerifier } = require('@phala/dcap-qvl');

function readQuote(path) {
  const raw = readFileSync(path);
  const text = raw.toString('latin1').trim();
  if (/^(0x)?[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) {
    return Buffer.from(text.replace(/^0x/, ''), 'hex');
  }
  return raw;
}

function verifier(rootPath) {
  return rootPath ? QuoteVerifier.newWithRootCa(readFileSync(rootPath)) : QuoteVerifier.newProd();
}

function describe(err) {
  let msg = err && err.message ? err.message : String(err);
  let cause = err && err.cause;
  while (cause) {
    msg += ': ' + (cause.message || String(cause));
    cause = cause.cause;
  }
  return msg;
}

function verifyOne(quotePath, collateralPath, now, rootPath) {
  try {
    const collateral = JSON.parse(readFileSync(collateralPath, 'utf8'));
    const r = verifier(rootPath).verify(readQuote(quotePath), collateral, Number(now));
    return { ok: true, status: r.status, advisories: r.advisory_ids };
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'verify') {
  process.stdout.write(JSON.stringify(verifyOne(args[0], args[1], args[2], args[3])) + '\n');
} else if (mode === 'batch') {
  const jobs = JSON.parse(readFileSync(0, 'utf8'));
  const out = jobs.map((j) => ({ id: j.id, ...verifyOne(j.quote, j.collateral, j.now, j.root) }));
  process.stdout.write(JSON.stringify(out) + '\n');
} else if (mode === 'bench') {
  const [quotePath, collateralPath, now, seconds] = args;
  const quote = readQuote(quotePath);
  const collateral = JSON.parse(readFileSync(collateralPath, 'utf8'));
  const v = verifier();
  const run = (ms) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      v.verify(quote, collateral, Number(now));
      n++;
    }
    return n;
  };
  run(1000);
  const t0 = performance.now();
  const ops = run(Number(seconds) * 1000);
  const secs = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ ops, seconds: secs, perSecond: ops / secs }) + '\n');
} else {
  process.stderr.write('usage: dcap-qvl-verify.mjs verify|batch|bench ...\n');
  process.exit(2);
}
