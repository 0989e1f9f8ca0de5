// Attacks on the page's own attestation check (src/attest.js), run in Node with the code paths the browser takes
// (dcap-qvl's pure-JS crypto, WebCrypto): each case fetches the real facilitator's /attestation for the check's
// nonce, tampers with the answer as a man in the middle or a lying facilitator would, and records whether the check
// refused and why. Prints one JSON object {case: "ok" | "refused: <reason>"}.
// Usage: node attest-cases.mjs FACILITATOR_URL POLICY_JSON_FILE
import fs from 'node:fs';

globalThis.window = globalThis; // dcap-qvl picks its browser implementation (elliptic, hash.js), as in the page
const { verifyFacilitator } = await import('../src/attest.js');

const [url, policyFile] = process.argv.slice(2);
if (!url || !policyFile) {
  console.error('usage: node attest-cases.mjs FACILITATOR_URL POLICY_JSON_FILE');
  process.exit(2);
}
const policy = JSON.parse(fs.readFileSync(policyFile, 'utf8'));
const realFetch = globalThis.fetch;

const flipHex = (h, at = 10) => h.slice(0, at) + (h[at] === '0' ? '1' : '0') + h.slice(at + 1);

const cases = {
  genuine: (d) => d,
  'other key served': (d) => {
    // A key the quote does not bind (the facilitator's key with one coordinate byte changed is not even on the
    // curve; use the generator point's key, which the quote certainly does not bind).
    const g = '0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'
      + '483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8';
    return { ...d, publicKey: g, signers: d.signers?.map((s, i) => (i === 0 ? { ...s, publicKey: g } : s)) };
  },
  'other address served': (d) => ({
    ...d,
    signerAddress: '0x000000000000000000000000000000000000dEaD',
    signers: d.signers?.map((s, i) => (i === 0 ? { ...s, address: '0x000000000000000000000000000000000000dEaD' } : s)),
  }),
  'quote byte flipped': (d) => {
    const q = Buffer.from(d.quote, 'base64');
    q[120] ^= 1; // in the report body (MRENCLAVE), which the attestation key signs
    return { ...d, quote: q.toString('base64') };
  },
  'no collateral': (d) => {
    const { collateral, ...rest } = d;
    return rest;
  },
  'tcb info tampered': (d) => ({
    ...d,
    collateral: { ...d.collateral, tcb_info: d.collateral.tcb_info.replace('"UpToDate"', '"UpToDate" ') },
  }),
  'no freshness proof': (d) => {
    const { freshness, ...rest } = d;
    return rest;
  },
  'freshness for another nonce': (d) => ({ ...d, freshness: { ...d.freshness, nonce: flipHex(d.freshness.nonce) } }),
  'freshness signature flipped': (d) => ({
    ...d,
    freshness: { ...d.freshness, signature: flipHex(d.freshness.signature, 20) },
  }),
  'stale freshness': (d) => ({ ...d, freshness: { ...d.freshness, time: d.freshness.time - 3600 } }),
};

const policies = {
  'simulation root not pinned': { ...policy, simulationRoots: [] },
  'no measurement pinned': Object.fromEntries(Object.entries(policy).filter(([k]) => k !== 'mrEnclave')),
  'status not accepted': { ...policy, acceptedStatuses: ['SWHardeningNeeded'] },
};

const out = {};
async function run(name, tamper, p) {
  globalThis.fetch = async (u, init) => {
    const r = await realFetch(u, init);
    const doc = tamper(await r.json());
    return new Response(JSON.stringify(doc), { status: r.status, headers: { 'content-type': 'application/json' } });
  };
  try {
    const v = await verifyFacilitator(url, p);
    out[name] = `ok: ${v.status} ${v.anchor} ${v.measurement}`;
  } catch (e) {
    out[name] = `refused: ${e.message}`;
  } finally {
    globalThis.fetch = realFetch;
  }
}
for (const [name, tamper] of Object.entries(cases)) await run(name, tamper, policy);
for (const [name, p] of Object.entries(policies)) await run(name, (d) => d, p);
console.log(JSON.stringify(out));
